"""Norwegian language tools shared by services."""
