package evalcorpus

// h5Values are the fifth corpus's planted values, by placeholder name:
// new numbers (none repeats an earlier round's), check digits from
// heldoutvalues.go, and decoys that fail each check.
func h5Values() map[string]string {
	v := map[string]string{"bt": "`", "tab": "\t"}
	v["visa"] = hoGroup4(hoLuhn("441728365019274"), " ")
	v["visaPlain"] = hoLuhn("455683920174635")
	v["mcPlain"] = hoLuhn("539182746501837")
	v["mc"] = hoGroup4(hoLuhn("547281930465718"), "-")
	amex := hoLuhn("37182940561827")
	v["amexPlain"] = amex
	v["discover"] = hoLuhn("601148293017564")
	v["cardBad"] = hoBadLuhn("448215937604182")
	v["imei"] = hoLuhn("35291804736152") // a Luhn-valid IMEI, not a card

	v["ibanDE"] = hoIBAN("DE", "500105175407324931")
	v["ibanDE2"] = hoIBAN("DE", "120300001059283746")
	v["ibanDEg"] = hoGroup4(hoIBAN("DE", "430609671048273600"), " ")
	v["ibanDE3"] = hoIBAN("DE", "430609671048273600")
	v["ibanNL"] = hoIBAN("NL", "INGB0004827361")
	v["ibanNL2"] = hoIBAN("NL", "RABO0318274659")
	v["ibanFR"] = hoIBAN("FR", "30003012340005182736451")
	v["ibanFRg"] = hoGroup4(hoIBAN("FR", "10096000505928374615223"), " ")
	v["ibanBE"] = hoIBAN("BE", "001482736451")
	v["ibanES"] = hoIBAN("ES", "21000418450200051332")
	v["ibanESg"] = hoGroup4(hoIBAN("ES", "00492352082414205416"), " ")
	v["ibanIT"] = hoIBAN("IT", "X0542811101000000123456")
	v["ibanAT"] = hoIBAN("AT", "1200052938471650")
	v["ibanCH"] = hoIBAN("CH", "04835012345678009")
	v["ibanGB"] = hoIBAN("GB", "NWBK60161331926819")
	good := hoIBAN("DE", "760700240482937165")
	v["ibanBad"] = good[:2] + string(rune('0'+(good[2]-'0'+3)%10)) + good[3:]
	v["creditorID"] = "DE98ZZZ09999999999"

	v["taxA"] = hoSteuerID("4719358264")
	v["taxB"] = hoSteuerID("7263918457")
	v["taxBad"] = v["taxA"][:10] + string(rune('0'+(v["taxA"][10]-'0'+1)%10))
	v["nirA"] = hoNIR("1780499350247")
	v["nirB"] = hoNIR("2860175116038")
	v["dniA"] = "48291736" + hoDNILetter(48291736)
	v["dniB"] = "72918354" + hoDNILetter(72918354)
	v["nieX"] = "X9182736" + hoDNILetter(9182736)
	v["nieZ"] = "Z1928374" + hoDNILetter(21928374)
	v["dniBad"] = "48291736" + hoDNILetter(48291737)
	v["cfA"] = hoFiscalCode("BNCLCU82C15F205")
	v["cfB"] = hoFiscalCode("FRRGLI90E55L219")
	cfA := v["cfA"]
	v["cfBad"] = cfA[:15] + string(rune('A'+(cfA[15]-'A'+5)%26))
	bsnA, _ := hoBSN("27381947")
	bsnB, _ := hoBSN("16273849")
	v["bsnA"], v["bsnB"] = bsnA, bsnB
	v["bsnBad"] = bsnA[:8] + string(rune('0'+(bsnA[8]-'0'+2)%10))
	aad := hoVerhoeff("58172930461")
	v["aadhaar"] = hoGroup4(aad, " ")
	v["aadhaar2"] = hoGroup4(hoVerhoeff("73920184652"), " ")
	v["aadhaarBad"] = hoGroup4(aad[:11]+string(rune('0'+(aad[11]-'0'+1)%10)), " ")

	v["sha256"] = hoHex(5501, 64)
	v["sha1"] = hoHex(5502, 40)
	v["md5"] = hoHex(5503, 32)
	v["hex16"] = hoHex(5504, 16)
	v["pemLine"] = hoB64Line(51)
	v["pemLine2"] = hoB64Line(52)
	return v
}
