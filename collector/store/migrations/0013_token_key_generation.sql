-- 0013: rotatable token keys (collector/keys). token_gen is the key
-- generation a pii_findings row's tokens were last rewritten to by a key
-- rotation (store.ReencryptFindings). Ingest leaves it 0: its rows are at
-- the generation that was current when they were written, which, as a
-- rotation runs only with every collector stopped, is the generation a
-- rotation starts from. So during a rotation to generation T a row is done
-- exactly when its newest version has token_gen = T, and a rotation
-- stopped half way resumes without encrypting a token twice.
ALTER TABLE {db}.pii_findings ADD COLUMN token_gen UInt32;
