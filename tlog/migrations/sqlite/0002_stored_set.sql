-- The signed entry timestamp is signed once, when the entry is sequenced, and stored
-- with it, so reads return it without signing again. NULL only for entries written
-- before this migration; those are signed on read.
ALTER TABLE entries ADD COLUMN set_sig BLOB;
