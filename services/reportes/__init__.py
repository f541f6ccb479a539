"""Module 8 reports: the report catalogue (`catalogo`), xlsx/PDF files (`archivos`), exports with signed expiring
links (`exportaciones`, `enlaces`) and scheduled e-mailed reports (`programaciones`)."""
