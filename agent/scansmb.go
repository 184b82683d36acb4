package main

import (
	"context"
	"errors"
	"io"

	"github.com/sightline-dev/sightline/agent/config"
	"github.com/sightline-dev/sightline/internal/cli"
)

// scanSMB prints a file share's files with personal data and who may
// read or write each (their NT ACLs' SIDs), as records or a table. The
// password comes from --password-file or SIGHTLINE_SMB_PASSWORD.
func scanSMB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := scanFlags("smb", config.Default().DataDir, "info", stdout, stderr)
	server := fs.String("server", "", "the file server: HOST[:PORT] (445 by default)")
	share := fs.String("share", "", "the share's name")
	folder := fs.String("folder", "", "where in the share to start (default: its root)")
	user := fs.String("user", "", "a read-only account")
	domain := fs.String("domain", "", "the account's domain (NetBIOS name, e.g. CORP)")
	pwFile := fs.String("password-file", "", "file holding the password (or SIGHTLINE_SMB_PASSWORD)")
	directory := fs.String("directory", "", "the directory server as the ldap scan's --url names it, so SIDs join its principals (default: the file server's host)")
	var exclude cli.Strings
	fs.Var(&exclude, "exclude", "glob of names or paths in the share not to read (repeatable)")
	maxFiles := fs.Int("max-files", 0, "files looked at, at most (default 1,000,000)")
	maxSize := fs.Int64("max-file-size", 0, "larger files are skipped (default 100 MiB)")
	common.stateFlag(fs, "unchanged files are not read again")
	common.formatFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *server == "" || *share == "" || *user == "" {
		return errors.New("scan smb: --server, --share and --user are required")
	}
	if err := common.checkFormat(); err != nil {
		return err
	}
	scans := config.Default().Scans
	sched := scans.SMB.Schedule
	scans.SMB = config.SMBScan{Schedule: sched, Server: *server, Share: *share, Folder: *folder, User: *user, Domain: *domain,
		PasswordFile: *pwFile, Directory: *directory, Exclude: exclude, MaxFiles: *maxFiles, MaxFileSize: *maxSize}
	return common.runValid(ctx, scans)
}
