// Command ldap writes an LDIF directory for the directory-scan benchmark:
// -users inetOrgPerson accounts and -groups groupOfNames, each group with
// 20 members and one group in three nested into the previous one. Every
// tenth account manages the nine after it (the manager attribute).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"

	"github.com/sightline-dev/sightline/deploy/bench/internal/benchrun"
)

func main() {
	out := flag.String("out", "", "LDIF file to write")
	users := flag.Int("users", 100000, "accounts")
	groups := flag.Int("groups", 10000, "groups")
	benchrun.Fixture("ldap fixture", func(context.Context) error { return write(*out, *users, *groups) }, "out")
}

func write(out string, users, groups int) error {
	return benchrun.WriteFile(out, func(w *bufio.Writer) error {
		fill(w, users, groups)
		return nil
	})
}

func fill(w *bufio.Writer, users, groups int) {
	fmt.Fprint(w, "dn: dc=example,dc=com\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n")
	fmt.Fprint(w, "dn: ou=people,dc=example,dc=com\nobjectClass: organizationalUnit\nou: people\n\n")
	fmt.Fprint(w, "dn: ou=groups,dc=example,dc=com\nobjectClass: organizationalUnit\nou: groups\n\n")
	for i := 0; i < users; i++ {
		fmt.Fprintf(w, "dn: uid=u%06d,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: u%06d\ncn: User %d\nsn: U\n", i, i, i)
		if i%10 != 0 {
			fmt.Fprintf(w, "manager: uid=u%06d,ou=people,dc=example,dc=com\n", i/10*10)
		}
		fmt.Fprintln(w)
	}
	for g := 0; g < groups; g++ {
		fmt.Fprintf(w, "dn: cn=g%05d,ou=groups,dc=example,dc=com\nobjectClass: groupOfNames\ncn: g%05d\n", g, g)
		for m := 0; m < 20; m++ {
			fmt.Fprintf(w, "member: uid=u%06d,ou=people,dc=example,dc=com\n", (g*20+m)%users)
		}
		if g%3 == 1 {
			fmt.Fprintf(w, "member: cn=g%05d,ou=groups,dc=example,dc=com\n", g-1)
		}
		fmt.Fprintln(w)
	}
}
