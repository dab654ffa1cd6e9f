"""Row-wise data validation and cleaning shared by training, batch inference and serving."""
