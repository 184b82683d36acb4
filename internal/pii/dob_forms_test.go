package pii

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A date of birth stated in any writing is searched as every value an
// agent may have stored it as: ISO where the file's order was plain, as
// written where day and month were both 12 or less.
func TestBirthDateFormsFindEveryWriting(t *testing.T) {
	stored := func(text string) string {
		t.Helper()
		var got []string
		NewDefault().Detect([]byte(text), func(m Match) {
			if m.Type == TypeDateOfBirth {
				got = append(got, string(m.Value))
			}
		})
		require.Len(t, got, 1, text)
		return got[0]
	}
	for _, stated := range []string{"1985-03-12", "1985-3-12", "12 March 1985", "March 12, 1985", "1985/03/12"} {
		forms, err := SubjectForms(TypeDateOfBirth, stated, "")
		require.NoError(t, err, stated)
		require.Equal(t, "1985-03-12", forms[0], "the ISO form first (NormalizeAs)")
		for _, file := range []string{"date of birth: 12.03.1985", "DOB 03/12/1985", "born 1985-03-12", "geboren am 12.03.1985",
			"dob: March 12, 1985", "birth date 12-03-1985"} {
			require.Contains(t, forms, stored(file), "%q stated, %q in a file", stated, file)
		}
		require.NotContains(t, forms, stored("dob 13.03.1985"), "another day")
		require.NotContains(t, forms, stored("dob 1985-12-03"), "the 3rd of December, written plainly")
	}
	// A day after the 12th has one reading: only its ISO form is stored.
	forms, err := SubjectForms(TypeDateOfBirth, "13.03.1985", "")
	require.NoError(t, err)
	require.Equal(t, []string{"1985-03-13"}, forms)
	// An ambiguous statement is searched in both readings.
	forms, err = SubjectForms(TypeDateOfBirth, "03/12/1985", "")
	require.NoError(t, err)
	require.Contains(t, forms, "1985-03-12")
	require.Contains(t, forms, "1985-12-03")
	for _, bad := range []string{"1985-13-40", "31.02.1985x", "yesterday", "1850-01-01"} {
		_, err := SubjectForms(TypeDateOfBirth, bad, "")
		require.Error(t, err, bad)
	}
}
