"""The project's pipelines, one package each; ``find_pipelines()`` registers every one."""
