"""Module 4: orders, routes, tracking and proof of delivery."""
