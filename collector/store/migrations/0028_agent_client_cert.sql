-- 0028: an agent that enrolled over mutual TLS is bound to its client
-- certificate (fleet.Enroll keeps its subject and issuer): its token is
-- refused with any other, so a token copied off a host is of no use
-- without that host's certificate key. '' for an agent enrolled without
-- one (no tls.client_ca_file, or TLS ended at a proxy).
ALTER TABLE {db}.agents ADD COLUMN client_cert String;
