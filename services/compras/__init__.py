"""Module 5, compras y proveedores: suppliers (proveedores), purchase orders and their approval (ordenes),
receptions into stock (recepciones), supplier invoices and the three-way match (facturas)."""
