"""The books: the schema, the rules of the product, users, companies, reports."""
