"""Dedicated editors for the parameter kinds a slider cannot show: tone curve (`curve`), colour
matrix (`matrix`), lens-shading heat maps (`lsc`), and the profile's per-condition tables
(`tables`). Each follows the session on its own, so it works inside the panel or in a window."""
