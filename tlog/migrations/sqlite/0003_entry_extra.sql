-- Data stored beside a leaf but not hashed into the tree (like RFC 6962 extra_data): the
-- CT log keeps each certificate's issuance record here (identity, the policy rule that
-- allowed it). NULL for Rekor entries.
ALTER TABLE entries ADD COLUMN extra BLOB;
