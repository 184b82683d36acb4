package evalcorpus

// Value generators of the organisation-shapes corpus (orgshapes.go),
// written apart from corpus.go, next.go and the held-out rounds: their
// own issuer tables, numbering-plan ranges, name lists and checksum code,
// so a rule tuned to the other generators' choices is not rewarded here.
// Every value is computed from random digits with the identifier's real
// algorithm; every decoy is built to fail exactly one check.

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

type og struct{ r *rand.Rand }

func (g og) n(k int) int              { return g.r.IntN(k) }
func (g og) one(s ...string) string   { return s[g.r.IntN(len(s))] }
func (g og) digits(k int) string      { return g.digitsFrom(k, "0123456789") }
func (g og) between(lo, hi int) int   { return lo + g.r.IntN(hi-lo+1) }
func (g og) chance(num, den int) bool { return g.r.IntN(den) < num }
func (g og) pad(v, width int) string  { return fmt.Sprintf("%0*d", width, v) }
func (g og) upper(k int) string       { return g.digitsFrom(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") }
func (g og) hex(k int) string         { return g.digitsFrom(k, "0123456789abcdef") }
func (g og) alnum(k int) string {
	return g.digitsFrom(k, "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
}
func (g og) nz() string { return string(rune('1' + g.r.IntN(9))) }
func (g og) digitsFrom(k int, set string) string {
	b := make([]byte, k)
	for i := range b {
		b[i] = set[g.r.IntN(len(set))]
	}
	return string(b)
}

// ---- people ----

type ogLocale struct {
	code        string // de, fr, es, it, nl, en, us, in
	first, last []string
	domains     []string
}

var ogLocales = []ogLocale{
	{"de", strings.Fields("Katrin Torsten Henrike Ole Wiebke Malte Svenja Jannik Ulrike Bernd Frauke Dirk"),
		strings.Fields("Hoffmann Brandt Kessler Vogel Engel Lorenz Busch Pohl Sauer Franke Hahn Kuhn"),
		strings.Fields("gmx.de t-online.de web.de posteo.de freenet.de mailbox.org")},
	{"fr", strings.Fields("Amélie Baptiste Solène Thibault Maëlle Gaspard Clémence Arnaud Océane Loïc"),
		strings.Fields("Moreau Girard Fontaine Chevalier Gauthier Perrin Mercier Rousseau Faure Blanchard"),
		strings.Fields("orange.fr laposte.net free.fr sfr.fr wanadoo.fr")},
	{"es", strings.Fields("Alejandro Nerea Íñigo Ainhoa Rocío Sergio Itziar Gonzalo Lucía Álvaro"),
		strings.Fields("Fernández Ruiz Jiménez Navarro Domínguez Serrano Molina Ortega Castillo Iglesias"),
		strings.Fields("telefonica.net yahoo.es hotmail.es correo.es")},
	{"it", strings.Fields("Giulia Lorenzo Chiara Matteo Federica Davide Elisa Tommaso Martina Riccardo"),
		strings.Fields("Ferrari Esposito Romano Colombo Ricci Marino Greco Bruno Gallo Conti"),
		strings.Fields("libero.it virgilio.it tiscali.it alice.it")},
	{"nl", strings.Fields("Sanne Bram Femke Joris Lieke Thijs Maaike Ruben Anouk Sjoerd"),
		strings.Fields("Bakker Visser Smit Meijer Mulder Bos Vos Peters Hendriks Dekker"),
		strings.Fields("ziggo.nl kpnmail.nl xs4all.nl planet.nl")},
	{"en", strings.Fields("Harriet Callum Imogen Rhys Niamh Alfie Poppy Declan Freya Owen"),
		strings.Fields("Whitfield Ashworth Pritchard Hargreaves Fairbairn Llewellyn Thornton Kershaw Bramley Caddick"),
		strings.Fields("btinternet.com outlook.com sky.com virginmedia.com")},
	{"us", strings.Fields("Tanner Brooklyn Marcus Shelby Dwayne Kayla Trevor Jolene Garrett Mckenzie"),
		strings.Fields("Kowalski Delgado Whitaker Hutchins Brennan Vasquez Okonkwo Lindqvist Gallagher Moreno"),
		strings.Fields("gmail.com yahoo.com comcast.net icloud.com aol.com")},
	{"in", strings.Fields("Ananya Rohan Priya Vikram Kavya Arjun Sneha Aditya Meera Karthik"),
		strings.Fields("Iyer Reddy Banerjee Kulkarni Menon Choudhary Nair Deshpande Mehta Pillai"),
		strings.Fields("rediffmail.com gmail.com yahoo.co.in outlook.in")},
}

type ogPerson struct {
	loc         ogLocale
	first, last string
	email       string
	dob         time.Time
}

var ogFold = strings.NewReplacer("é", "e", "è", "e", "ë", "e", "á", "a", "à", "a", "í", "i", "ï", "i", "ó", "o",
	"ñ", "n", "ú", "u", "ü", "u", "ö", "o", "ä", "a", "ç", "c", "Í", "i", "Á", "a", "ß", "ss")

func (g og) person(loc ogLocale) ogPerson {
	f, l := loc.first[g.n(len(loc.first))], loc.last[g.n(len(loc.last))]
	lf, ll := strings.ToLower(ogFold.Replace(f)), strings.ToLower(ogFold.Replace(l))
	var local string
	switch g.n(5) {
	case 0:
		local = lf + "." + ll
	case 1:
		local = lf[:1] + ll
	case 2:
		local = lf + "_" + ll + g.pad(g.n(100), 2)
	case 3:
		local = ll + "." + lf + "+" + g.one("shop", "news", "work")
	default:
		local = lf + ll[:1] + fmt.Sprint(g.between(70, 2005))
	}
	d := time.Date(1942, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.n(63*365))
	return ogPerson{loc, f, l, local + "@" + loc.domains[g.n(len(loc.domains))], d}
}

// dob writes the birth date as people of the locale write it.
func (g og) dob(p ogPerson) string {
	d := p.dob
	months := map[string][]string{
		"de": strings.Fields("Januar Februar März April Mai Juni Juli August September Oktober November Dezember"),
		"fr": strings.Fields("janvier février mars avril mai juin juillet août septembre octobre novembre décembre"),
		"es": strings.Fields("enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"),
		"it": strings.Fields("gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre"),
		"nl": strings.Fields("januari februari maart april mei juni juli augustus september oktober november december"),
	}
	switch g.n(3) {
	case 0:
		return d.Format("2006-01-02")
	case 1:
		switch p.loc.code {
		case "de":
			return d.Format("02.01.2006")
		case "nl":
			return d.Format("02-01-2006")
		case "us":
			return d.Format("01/02/2006")
		default:
			return d.Format("02/01/2006")
		}
	}
	if ms, ok := months[p.loc.code]; ok {
		switch p.loc.code {
		case "de":
			return fmt.Sprintf("%d. %s %d", d.Day(), ms[d.Month()-1], d.Year())
		case "es":
			return fmt.Sprintf("%d de %s de %d", d.Day(), ms[d.Month()-1], d.Year())
		}
		return fmt.Sprintf("%d %s %d", d.Day(), ms[d.Month()-1], d.Year())
	}
	if p.loc.code == "us" {
		return d.Format("January 2, 2006")
	}
	return d.Format("2 January 2006")
}

// ---- phones: ranges of each country's numbering plan ----

// phone returns a number of the person's country, international when intl.
func (g og) phone(code string, intl bool) string {
	sub := func(k int) string { return g.nz() + g.digits(k-1) }
	switch code {
	case "de":
		if g.chance(1, 2) {
			pre := g.one("151", "152", "157", "159", "160", "170", "171", "172", "173", "174", "175", "176", "177", "178", "179")
			k := 7
			if pre[1] == '5' {
				k = 8
			}
			if intl {
				return "+49 " + pre + " " + sub(k)
			}
			return g.one("0"+pre+" "+sub(k), "0"+pre+"/"+sub(k), "0"+pre+"-"+sub(k))
		}
		area, k := g.one("30", "40", "89", "69"), 8
		if g.chance(1, 3) {
			area, k = g.one("221", "711", "511", "911"), 7
		}
		if intl {
			return g.one("+49 "+area+" "+sub(k), "+49 (0)"+area+" "+sub(k), "0049 "+area+" "+sub(k))
		}
		return g.one("0"+area+" "+sub(k), "0"+area+"/"+sub(k), "(0"+area+") "+sub(k))
	case "fr":
		first := g.one("6", "7", "1", "2", "3", "4", "5")
		switch first {
		case "7":
			first += g.one("3", "5", "6", "8")
		case "6":
			first += g.one("0", "1", "2", "4", "5", "6", "7", "8")
		default:
			// not 02 62/69 nor 05 90–97: the overseas departments' ranges
			first += g.one("1", "2", "3", "4", "5")
		}
		rest := first + g.nz() + g.digits(6)
		pairs := rest[1:3] + " " + rest[3:5] + " " + rest[5:7] + " " + rest[7:9]
		if intl {
			return "+33 " + rest[:1] + " " + pairs
		}
		return g.one("0"+rest[:1]+" "+pairs, "0"+rest[:1]+"."+strings.ReplaceAll(pairs, " ", "."))
	case "es":
		n := g.one("6", "91", "93") + g.digits(0)
		switch n {
		case "6":
			n += g.digits(8)
		default:
			n += g.nz() + g.digits(6)
		}
		f := n[:3] + " " + n[3:6] + " " + n[6:]
		if intl {
			return "+34 " + f
		}
		return f
	case "it":
		if g.chance(1, 2) {
			n := "3" + g.one("20", "27", "28", "29", "33", "34", "35", "38", "39", "40", "45", "46", "47", "48", "49", "66", "88", "92") + g.nz() + g.digits(6)
			if intl {
				return "+39 " + n[:3] + " " + n[3:6] + " " + n[6:]
			}
			return n[:3] + " " + n[3:]
		}
		n := g.one("06", "02") + g.nz() + g.digits(7)
		if intl {
			return "+39 " + n[:2] + " " + n[2:6] + " " + n[6:]
		}
		return n[:2] + " " + n[2:6] + " " + n[6:]
	case "nl":
		if g.chance(1, 2) {
			n := "6" + g.one("1", "2", "3", "4", "5") + g.digits(7)
			if intl {
				return "+31 6 " + n[1:]
			}
			return g.one("06-"+n[1:], "06 "+n[1:3]+" "+n[3:5]+" "+n[5:7]+" "+n[7:])
		}
		n := g.one("20", "10", "70", "30") + g.nz() + g.digits(6)
		if intl {
			return "+31 " + n[:2] + " " + n[2:5] + " " + n[5:]
		}
		return "0" + n[:2] + "-" + n[2:]
	case "en":
		if g.chance(1, 2) {
			n := g.one("7401", "7415", "7432", "7480", "7507", "7534", "7590", "7711", "7725", "7766", "7801", "7846", "7870", "7903", "7940", "7968") + g.digits(6)
			if intl {
				return "+44 " + n[:4] + " " + n[4:]
			}
			return "0" + n[:4] + " " + n[4:]
		}
		n := "20" + g.one("3", "8") + g.digits(7)
		if intl {
			return "+44 20 " + n[2:6] + " " + n[6:]
		}
		return "020 " + n[2:6] + " " + n[6:]
	case "us":
		area := g.one("212", "312", "415", "617", "206", "303", "404", "512", "646", "713", "617", "416", "604")
		ex := g.one("2", "3", "4", "6", "7", "8", "9") + g.one("2", "3", "4", "6", "7", "8", "9") + g.digits(1)
		line := g.digits(4)
		if intl {
			return g.one("+1 "+area+" "+ex+" "+line, "+1 ("+area+") "+ex+"-"+line, "+1-"+area+"-"+ex+"-"+line)
		}
		return g.one("("+area+") "+ex+"-"+line, area+"-"+ex+"-"+line, area+"."+ex+"."+line)
	case "in":
		n := g.one("98", "99", "97", "94", "93", "88", "70", "63") + g.digits(8)
		if intl {
			return g.one("+91 "+n[:5]+" "+n[5:], "+91-"+n)
		}
		return n[:5] + " " + n[5:]
	case "au":
		n := "4" + g.one("0", "1", "2", "3", "6") + g.digits(7)
		if intl {
			return "+61 " + n[:3] + " " + n[3:6] + " " + n[6:]
		}
		return "0" + n[:3] + " " + n[3:6] + " " + n[6:]
	case "br":
		ddd := g.one("11", "21", "31", "41", "51", "61")
		n := "9" + g.one("6", "7", "8", "9") + g.digits(7)
		if intl {
			return "+55 " + ddd + " " + n[:5] + "-" + n[5:]
		}
		return "(" + ddd + ") " + n[:5] + "-" + n[5:]
	}
	panic(code)
}

// ---- cards ----

func ogLuhnDigit(body string) byte {
	sum := 0
	for i := 0; i < len(body); i++ {
		d := int(body[len(body)-1-i] - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// card returns a Luhn-valid number of a random issuer, grouped as the
// issuer prints it; bad makes the last digit wrong.
func (g og) card(bad bool) string {
	var pre string
	n := 16
	switch g.n(9) {
	case 0, 1:
		pre = "4"
	case 2:
		pre = "5" + g.one("1", "2", "3", "4", "5")
	case 3:
		pre = fmt.Sprint(g.between(2221, 2720))
	case 4:
		pre, n = g.one("34", "37"), 15
	case 5:
		pre = g.one("6011", "65", "644", "649")
	case 6:
		pre = fmt.Sprint(g.between(3528, 3589))
	case 7:
		pre, n = g.one("36", "300", "305"), 14
	default:
		pre = g.one("62", "6759")
		if pre == "62" && g.chance(1, 2) {
			n = 19
		}
	}
	body := pre + g.digits(n-1-len(pre))
	c := ogLuhnDigit(body)
	if bad {
		c = '0' + (c-'0'+1+byte(g.n(8)))%10
	}
	num := body + string(c)
	sep := g.one("", " ", "-")
	if sep == "" {
		return num
	}
	var groups []int
	switch n {
	case 15:
		groups = []int{4, 6, 5}
	case 14:
		groups = []int{4, 6, 4}
	case 19:
		groups = []int{4, 4, 4, 4, 3}
	default:
		groups = []int{4, 4, 4, 4}
	}
	var parts []string
	at := 0
	for _, k := range groups {
		parts = append(parts, num[at:at+k])
		at += k
	}
	return strings.Join(parts, sep)
}

// ---- IBAN ----

func ogMod97(s string) int {
	var b strings.Builder
	for _, c := range s {
		if c >= 'A' && c <= 'Z' {
			fmt.Fprint(&b, int(c-'A'+10))
		} else {
			b.WriteRune(c)
		}
	}
	n, _ := new(big.Int).SetString(b.String(), 10)
	return int(new(big.Int).Mod(n, big.NewInt(97)).Int64())
}

func (g og) esControl(s string) int {
	w := []int{1, 2, 4, 8, 5, 10, 9, 7, 3, 6}
	sum := 0
	for i := range s {
		sum += int(s[i]-'0') * w[i]
	}
	d := 11 - sum%11
	switch d {
	case 11:
		return 0
	case 10:
		return 1
	}
	return d
}

// iban returns an IBAN of country cc (national check digits right where
// the country has them); bad makes the ISO check digits wrong.
func (g og) iban(cc string, bad, grouped bool) string {
	var bban string
	switch cc {
	case "DE":
		bban = g.nz() + g.digits(17)
	case "AT":
		bban = g.nz() + g.digits(15)
	case "CH":
		bban = "00" + g.nz() + g.digits(2) + g.digits(12)
	case "NL":
		bban = g.one("ABNA", "RABO", "INGB", "TRIO", "SNSB") + "0" + g.digits(9)
	case "GB":
		bban = g.one("NWBK", "BARC", "LOYD", "HBUK", "MIDL") + g.digits(14)
	case "BE":
		x := g.nz() + g.digits(9)
		var k big.Int
		k.SetString(x, 10)
		m := int(new(big.Int).Mod(&k, big.NewInt(97)).Int64())
		if m == 0 {
			m = 97
		}
		bban = x + g.pad(m, 2)
	case "FR":
		bank, branch, acct := g.nz()+g.digits(4), g.digits(5), g.digits(11)
		var v big.Int
		v.SetString(bank+branch+acct, 10)
		v.Mul(&v, big.NewInt(100))
		key := 97 - int(new(big.Int).Mod(&v, big.NewInt(97)).Int64())
		bban = bank + branch + acct + g.pad(key, 2)
	case "ES":
		bank, branch, acct := g.nz()+g.digits(3), g.digits(4), g.digits(10)
		bban = bank + branch + fmt.Sprint(g.esControl("00"+bank+branch)) + fmt.Sprint(g.esControl(acct)) + acct
	case "PL":
		bban = g.nz() + g.digits(23)
	case "LU":
		bban = g.digits(3) + g.digits(13)
	default:
		panic(cc)
	}
	check := 98 - ogMod97(bban+cc+"00")
	if bad {
		check = (check+1+g.n(90))%97 + 2
		if check == 98-ogMod97(bban+cc+"00") {
			check = check%96 + 2
		}
	}
	s := cc + g.pad(check, 2) + bban
	if !grouped {
		return s
	}
	var parts []string
	for i := 0; i < len(s); i += 4 {
		parts = append(parts, s[i:min(i+4, len(s))])
	}
	return strings.Join(parts, " ")
}

func (g og) ibanFor(code string, bad bool) string {
	cc := map[string]string{"de": g.one("DE", "DE", "AT", "CH"), "fr": g.one("FR", "FR", "BE", "LU"), "es": "ES",
		"it": "ES", "nl": g.one("NL", "NL", "BE"), "en": "GB", "us": "GB", "in": "GB"}[code]
	return g.iban(cc, bad, g.chance(1, 2))
}

// ---- government ids ----

// ssn returns a valid SSN; bad breaks one rule (area, group, serial,
// separators or a published sample).
func (g og) ssn(sep string) string {
	area := g.between(1, 899)
	for area == 666 {
		area = g.between(1, 899)
	}
	return g.pad(area, 3) + sep + g.pad(g.between(1, 99), 2) + sep + g.pad(g.between(1, 9999), 4)
}

func (g og) badSSN() string {
	switch g.n(5) {
	case 0:
		return "666-" + g.pad(g.between(1, 99), 2) + "-" + g.pad(g.between(1, 9999), 4)
	case 1:
		return g.pad(g.between(900, 999), 3) + "-" + g.pad(g.between(1, 99), 2) + "-" + g.pad(g.between(1, 9999), 4)
	case 2:
		return g.pad(g.between(1, 665), 3) + "-00-" + g.pad(g.between(1, 9999), 4)
	case 3:
		return g.pad(g.between(1, 665), 3) + "-" + g.pad(g.between(1, 99), 2) + "-0000"
	}
	return "078-05-1120"
}

var ogNinoFirst = "ABCEGHJKLMNOPRSTWXYZ"

func (g og) nino(spaced bool) string {
	var pre string
	for {
		pre = string(ogNinoFirst[g.n(len(ogNinoFirst))]) + string("ABCEGHJKLMNPRSTWXYZ"[g.n(19)])
		switch pre {
		case "BG", "GB", "NK", "KN", "TN", "NT", "ZZ":
			continue
		}
		break
	}
	d := g.digits(6)
	suf := string("ABCD"[g.n(4)])
	if spaced {
		return pre + " " + d[:2] + " " + d[2:4] + " " + d[4:] + " " + suf
	}
	return pre + d + suf
}

func (g og) badNino() string {
	d := g.digits(6)
	switch g.n(3) {
	case 0:
		return g.one("GB", "BG", "NK", "TN", "ZZ") + d + "A"
	case 1:
		return g.one("DA", "FE", "QA", "UB", "VC", "IA") + d + "B"
	}
	return "JK" + d + g.one("E", "F", "G")
}

// steuerID returns a German tax id: ten digits of which exactly one
// appears twice (one is missing), first not 0, ISO 7064 MOD 11,10 check.
func (g og) steuerID(bad bool) string {
	for {
		p := g.r.Perm(10)
		dup := p[g.n(9)]
		ds := append([]int{}, p[:9]...)
		ds = append(ds, dup)
		g.r.Shuffle(len(ds), func(i, j int) { ds[i], ds[j] = ds[j], ds[i] })
		if ds[0] == 0 {
			continue
		}
		var b strings.Builder
		prod := 10
		for _, d := range ds {
			b.WriteByte(byte('0' + d))
			s := (d + prod) % 10
			if s == 0 {
				s = 10
			}
			prod = (2 * s) % 11
		}
		c := (11 - prod) % 10
		if bad {
			c = (c + 1 + g.n(9)) % 10
		}
		return b.String() + fmt.Sprint(c)
	}
}

func (g og) nir(bad bool) string {
	body := g.one("1", "2") + g.pad(g.between(40, 99), 2) + g.pad(g.between(1, 12), 2) + g.pad(g.between(1, 95), 2) +
		g.pad(g.between(1, 990), 3) + g.pad(g.between(1, 999), 3)
	if body[5:7] == "20" {
		body = body[:5] + "21" + body[7:]
	}
	var v big.Int
	v.SetString(body, 10)
	key := 97 - int(new(big.Int).Mod(&v, big.NewInt(97)).Int64())
	if bad {
		key = key%96 + 1 + g.n(1)
		if key == 97-int(new(big.Int).Mod(&v, big.NewInt(97)).Int64()) {
			key = key%96 + 1
		}
	}
	k := g.pad(key, 2)
	if g.chance(1, 2) {
		return body[:1] + " " + body[1:3] + " " + body[3:5] + " " + body[5:7] + " " + body[7:10] + " " + body[10:13] + " " + k
	}
	return body + k
}

const ogDNILetters = "TRWAGMYFPDXBNJZSQVHLCKE"

func (g og) dni(bad bool) string {
	if g.chance(1, 4) {
		p := g.n(3)
		d := g.digits(7)
		v, _ := strconv.Atoi(fmt.Sprint(p) + d)
		l := v % 23
		if bad {
			l = (l + 1 + g.n(21)) % 23
		}
		return string("XYZ"[p]) + d + string(ogDNILetters[l])
	}
	v := g.between(1000000, 99999999)
	l := v % 23
	if bad {
		l = (l + 1 + g.n(21)) % 23
	}
	s := g.pad(v, 8)
	if g.chance(1, 3) {
		return s + "-" + string(ogDNILetters[l])
	}
	return s + string(ogDNILetters[l])
}

var ogCFOdd = []int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}

// codiceFiscale builds a fiscal code from made-up letters and a birth date.
func (g og) codiceFiscale(p ogPerson, bad bool) string {
	cons := func(s string) string {
		s = strings.ToUpper(ogFold.Replace(s))
		var c, v []byte
		for i := 0; i < len(s); i++ {
			if s[i] < 'A' || s[i] > 'Z' {
				continue
			}
			if strings.IndexByte("AEIOU", s[i]) >= 0 {
				v = append(v, s[i])
			} else {
				c = append(c, s[i])
			}
		}
		out := string(append(c, v...)) + "XXX"
		return out[:3]
	}
	day := p.dob.Day()
	if g.chance(1, 2) {
		day += 40
	}
	body := cons(p.last) + cons(p.first) + p.dob.Format("06") + string("ABCDEHLMPRST"[p.dob.Month()-1]) + g.pad(day, 2) +
		g.one("H501", "F205", "L219", "A662", "G273", "D612", "C351")
	sum := 0
	for i := 0; i < 15; i++ {
		c := body[i]
		var k int
		if c >= '0' && c <= '9' {
			k = int(c - '0')
		} else {
			k = int(c - 'A')
		}
		if i%2 == 0 {
			sum += ogCFOdd[k]
		} else {
			sum += k
		}
	}
	chk := sum % 26
	if bad {
		chk = (chk + 1 + g.n(24)) % 26
	}
	return body + string(rune('A'+chk))
}

func (g og) bsn(bad bool) string {
	for {
		d := g.nz() + g.digits(7)
		sum := 0
		for i := 0; i < 8; i++ {
			sum += int(d[i]-'0') * (9 - i)
		}
		c := sum % 11
		if c > 9 {
			continue
		}
		if bad {
			c = (c + 1 + g.n(8)) % 10
			if (sum-c)%11 == 0 {
				continue
			}
		}
		return d + fmt.Sprint(c)
	}
}

var (
	ogVD = [10][10]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}
	ogVP = [8][10]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}}
	ogVInv = [10]int{0, 4, 3, 2, 1, 5, 6, 7, 8, 9}
)

func (g og) aadhaar(bad, spaced bool) string {
	body := fmt.Sprint(g.between(2, 9)) + g.digits(10)
	c := 0
	for i := 0; i < len(body); i++ {
		c = ogVD[c][ogVP[(i+1)%8][int(body[len(body)-1-i]-'0')]]
	}
	chk := ogVInv[c]
	if bad {
		chk = (chk + 1 + g.n(9)) % 10
	}
	s := body + fmt.Sprint(chk)
	if spaced {
		return s[:4] + " " + s[4:8] + " " + s[8:]
	}
	return s
}

// ---- network and credentials ----

func (g og) ipv4() string {
	switch g.n(4) {
	case 0:
		return fmt.Sprintf("10.%d.%d.%d", g.n(256), g.n(256), g.between(1, 254))
	case 1:
		return fmt.Sprintf("192.168.%d.%d", g.n(256), g.between(2, 254))
	case 2:
		return fmt.Sprintf("172.%d.%d.%d", g.between(16, 31), g.n(256), g.between(1, 254))
	}
	return fmt.Sprintf("%s.%d.%d.%d", g.one("31", "46", "62", "77", "81", "84", "89", "91", "93", "141", "145", "151", "176", "178", "185", "193", "212", "213", "217"),
		g.n(256), g.n(256), g.between(1, 254))
}

func (g og) ipv6() string {
	grp := func() string { return fmt.Sprintf("%x", g.between(1, 0xffff)) }
	pre := g.one("2a02:810d", "2a01:4f8", "2600:1f18", "2a00:1450", "2003:e2", "2a0a:a540")
	switch g.n(3) {
	case 0:
		return pre + ":" + grp() + ":" + grp() + "::" + grp()
	case 1:
		return pre + ":" + grp() + ":" + grp() + ":" + grp() + ":" + grp() + ":" + grp() + ":" + grp()
	}
	return pre + "::" + grp()
}

func (g og) awsKey() string {
	return g.one("AKIA", "ASIA") + g.digitsFrom(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
}

func (g og) badAWSKey() string {
	switch g.n(3) {
	case 0:
		return "AKIA" + g.digitsFrom(8, "ABCDEFGHJKLMNPQRSTUVWXYZ") + "0189" + g.digitsFrom(4, "ABCDEFGHJKLMNPQRSTUVWXYZ")
	case 1:
		return "AKIA" + g.digitsFrom(12, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
	}
	return "AKIAIOSFODNN7EXAMPLE"
}

func (g og) secret() string {
	return g.alnum(4) + g.one("!", "#", "%", "-", "_", "$") + g.alnum(5) + g.one("", "!", "9", "@") + g.alnum(3)
}

func (g og) awsSecret() string {
	return g.digitsFrom(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}

func (g og) pem(kind string) []string {
	lines := []string{"-----BEGIN " + kind + "-----"}
	if kind == "ENCRYPTED PRIVATE KEY" || kind == "RSA PRIVATE KEY" && g.chance(1, 3) {
		if kind == "RSA PRIVATE KEY" {
			lines = append(lines, "Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-256-CBC,"+strings.ToUpper(g.hex(32)), "")
		}
	}
	b64 := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	start := map[string]string{"RSA PRIVATE KEY": "MIIEow", "EC PRIVATE KEY": "MHcCAQEE", "PRIVATE KEY": "MIIEvQIBADAN",
		"OPENSSH PRIVATE KEY": "b3BlbnNzaC1rZXktdjEAAAAA", "ENCRYPTED PRIVATE KEY": "MIIFHDBOBgkqhkiG9w0BBQ0w",
		"CERTIFICATE": "MIIDdzCCAl+gAwIBAgIE", "PUBLIC KEY": "MIIBIjANBgkqhkiG9w0BAQEF"}[kind]
	rows := 3 + g.n(8)
	for i := 0; i < rows; i++ {
		l := g.digitsFrom(64, b64)
		if i == 0 {
			l = start + l[len(start):]
		}
		lines = append(lines, l)
	}
	lines = append(lines, g.digitsFrom(4+g.n(40), b64)+g.one("", "=", "=="))
	return append(lines, "-----END "+kind+"-----")
}

// ---- look-alikes ----

func (g og) uuid() string {
	return g.hex(8) + "-" + g.hex(4) + "-4" + g.hex(3) + "-" + g.one("8", "9", "a", "b") + g.hex(3) + "-" + g.hex(12)
}

func (g og) isbn13() string {
	body := "978" + g.one("3", "2", "84", "88", "90", "0", "1") + g.digits(0)
	body += g.digits(12 - len(body))
	sum := 0
	for i := 0; i < 12; i++ {
		w := 1
		if i%2 == 1 {
			w = 3
		}
		sum += int(body[i]-'0') * w
	}
	s := body + fmt.Sprint((10-sum%10)%10)
	if g.chance(1, 2) {
		return s[:3] + "-" + s[3:4] + "-" + s[4:7] + "-" + s[7:12] + "-" + s[12:]
	}
	return s
}

// ean13 returns a barcode with its check digit, from the German (400–440)
// or Japanese (45, 49) GS1 prefixes.
func (g og) ean13() string {
	body := g.one("400", "401", "402", "403", "404", "405", "406", "407", "408", "409", "410", "419", "426", "440", "450", "490") + g.digits(9)
	sum := 0
	for i := 0; i < 12; i++ {
		d := int(body[i] - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return body + fmt.Sprint((10-sum%10)%10)
}

func (g og) tracking() string {
	switch g.n(5) {
	case 0:
		return "1Z" + g.digitsFrom(6, "0123456789ABCDEFGHJKLMNPRSTUVWXYZ") + g.digits(10)
	case 1:
		return "00340434" + g.digits(12) // DHL Paket, 20 digits
	case 2:
		n := "9400" + g.digits(18) // USPS
		return n[:4] + " " + n[4:8] + " " + n[8:12] + " " + n[12:16] + " " + n[16:20] + " " + n[20:]
	case 3:
		return "JJD" + g.digits(18)
	}
	return g.upper(2) + g.digits(9) + "DE"
}

func (g og) version() string {
	switch g.n(5) {
	case 0:
		return fmt.Sprintf("%d.%d.%d", g.n(20), g.n(30), g.n(200))
	case 1:
		return fmt.Sprintf("v%d.%d.%d.%d", g.n(10), g.n(20), g.n(30), g.n(200))
	case 2:
		return fmt.Sprintf("%d.%d.%d-rc.%d+build.%d", g.n(5), g.n(20), g.n(30), g.n(9), g.between(1000, 99999))
	case 3:
		return fmt.Sprintf("10.0.%d.%d", g.between(17000, 26000), g.between(256, 5000))
	}
	if g.chance(1, 2) {
		return fmt.Sprintf("%d.%d.%d.%d-%s", g.n(10), g.n(20), g.n(30), g.n(200), g.one("beta", "SNAPSHOT", "rc1", "alpha.2"))
	}
	return fmt.Sprintf("%d.%d.%d.%d", g.between(1, 9), g.n(20), g.between(256, 4000), g.n(100))
}

func (g og) orderNo() string {
	switch g.n(5) {
	case 0:
		return "ORD-" + fmt.Sprint(g.between(2019, 2026)) + "-" + g.digits(6)
	case 1:
		return g.digits(3) + "-" + g.digits(7) + "-" + g.digits(7) // Amazon-style
	case 2:
		return "RE" + fmt.Sprint(g.between(2019, 2026)) + g.digits(5)
	case 3:
		return "#" + g.nz() + g.digits(8)
	}
	return "SO" + g.digits(8)
}

func (g og) timestamp() time.Time {
	return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(g.n(330*24*3600)) * time.Second)
}
