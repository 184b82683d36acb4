-- 0026: principals' credential tokens move with a key rotation, as
-- findings' tokens do (migration 0013): token_gen is the generation a row
-- was last rewritten to by store.ReencryptFindings; ingest leaves it 0.
-- Without it a rotation left the credential join (an aws_access_key in a
-- file → its IAM user) broken until the next IAM scan.
ALTER TABLE {db}.principal_tokens ADD COLUMN token_gen UInt32;
