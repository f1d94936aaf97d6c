"""Files only: reading and writing boundaries, family tables and exports."""
