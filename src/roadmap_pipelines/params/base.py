"""The base every parameter model derives from."""

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Immutable model that rejects unknown keys.

    Subclasses set ``model_config["title"]`` to the YAML file and key they read, which pydantic
    prints at the head of every validation error.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
