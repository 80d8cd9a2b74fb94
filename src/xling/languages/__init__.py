"""Languages: codes (canonical ``xxx_Scrp`` tags, names) and metadata (families, scripts, resource classes)."""
