"""SUNAT electronic documents: model, totals, UBL, signature, XSD/rules validation, PDF, and the SEE transport."""
