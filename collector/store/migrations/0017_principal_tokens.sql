-- 0017: a principal's credential tokens (an IAM user's active access keys,
-- keyed as a pii finding's tokens are), so an aws_access_key found in a
-- file joins to the user it belongs to (credentials.go).
ALTER TABLE {db}.principals ADD COLUMN tokens Array(String);
