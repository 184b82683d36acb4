package evalcorpus

import "strings"

// r7FileDocs are the seventh round's check on the sixth corpus's gaps,
// written before the fixes were measured on them and kept apart so the
// earlier corpora stay as they were: home addresses in prose after
// phrases in the six languages that do not start with a stem letter
// ("wohnhaft in", "ich wohne in", "my address is", "I live at", "lives
// at", "j'habite au", "domicilié(e) à", "domiciliado/a en", "vivo en",
// "abito in", "il mio indirizzo è", "woonachtig te/aan", "mijn adres
// is"), with UK, US, Dutch and five-digit postcodes; a codice fiscale in
// lower and mixed case in prose after "codice fiscale", "cod. fisc.",
// "fiscal code"; French forms and sheets labelled "Prénoms", "Prénom(s)"
// and "Nom / Prénom". Each has decoys: the same phrases before no
// address (a town, a year and a noun, "on file"), codes in lower case
// whose check character is wrong or that are no code at all, and
// "Prénom" as a value in a form definition and as a column of flags.
//
// Labels as in heldout3.go; decisions as in heldout6.go (one address
// counts once; a bare "Nom" is not counted; "Nom / Prénom" holding both
// parts counts once, as the detector reports one value per key).
//
// Scored by counts per file (agent/content's TestRecall7Files). Before
// the fixes (main at 2a8d515): postal_address P 1.0 R 0.16 (3 of 19; one
// of the 3 a decoy, "Residente in Italia dal 2001 Cordiali", hidden by a
// true one missed in the same file), it_fiscal_code R 0 of 5,
// person_name P 0.5 R 0.33 (only the "Nom / Prénom" key; the "Prénom"
// column of flags counted twice). After: every type P 1.0 R 1.0.
var r7FileDocs = []hoDoc{
	{"r7_de_briefe.txt", `Sehr geehrte Damen und Herren,
ich, Jonas Keller, wohnhaft in der Schillerstraße 17, 70173 Stuttgart, widerspreche der Erhöhung. ⟨postal_address⟩
Antragstellerin: Frau Petra Vogt, wohnhaft: Am Markt 3a, 04109 Leipzig ⟨postal_address⟩
Seit dem Umzug wohne ich in der Gartenweg 9, 24103 Kiel. ⟨postal_address⟩
Meine neue Anschrift lautet Lindenallee 112, 50968 Köln. ⟨postal_address⟩
Ich bin seit 2015 wohnhaft in Freiburg und seit 2019 Mitglied im Verein.
Meine Adresse ist unverändert, bitte nutzen Sie die bekannte.
Er wohnt seit 1998 Tür an Tür mit uns.
`},
	{"r7_en_mails.txt", `Hi team,
please update my records: my address is 1180 Maple Avenue, Apt 4B, Columbus, OH 43215. ⟨postal_address⟩
For the courier: I live at 15 Harbour View, Whitby YO21 3PU, ring twice. ⟨postal_address⟩
The tenant lives at 8 Orchard Close, Cambridge CB4 1JN since May. ⟨postal_address⟩
Our billing address is 500 Market Street, San Francisco, CA 94105-2210 ⟨postal_address⟩
My address is on file with you since 2019 Thanks for checking.
I live at the office these days, so post is slow.
She lives at home with her parents and 2 Dogs.
`},
	{"r7_fr_courriers.txt", `Madame, Monsieur,
Je soussigné(e) Luc Bernard, domicilié(e) à 7 avenue Jean Jaurès, 31000 Toulouse, déclare sur l'honneur. ⟨postal_address⟩
J'habite au 22 boulevard de la Liberté, 59800 Lille, depuis mars. ⟨postal_address⟩
Mon adresse est 3 place Bellecour, 69002 Lyon. ⟨postal_address⟩
Domicilié(e) à l'étranger depuis 2018 Merci de votre compréhension.
J'habite près de la gare, au calme.
`},
	{"r7_es_it_nl.txt", `Dña. Carmen Ortiz, domiciliada en Calle de Serrano 41, 28001 Madrid, solicita la baja. ⟨postal_address⟩
D. Pablo Ruiz, domiciliado/a en Avenida de la Constitución 8, 41004 Sevilla ⟨postal_address⟩
Vivo en Carrer de Mallorca 401, 08013 Barcelona desde enero. ⟨postal_address⟩
Con domicilio en el extranjero desde 2020 Atentamente.
Il mio indirizzo è Corso Vittorio Emanuele II 15, 20122 Milano. ⟨postal_address⟩
Abito in Via dei Mille 6, 80121 Napoli con la famiglia. ⟨postal_address⟩
Residente in Italia dal 2001 Cordiali saluti.
De heer Bakker, woonachtig te Oudegracht 231, 3511 NK Utrecht, verklaart het volgende. ⟨postal_address⟩
Mevrouw De Vries, woonachtig aan de Grote Markt 12, 9711 LV Groningen ⟨postal_address⟩
Mijn adres is Witte de Withstraat 50, 3012 BR Rotterdam. ⟨postal_address⟩
Ik ben woonachtig in het buitenland sinds 2016 Met vriendelijke groet.
Mijn adres is niet gewijzigd.
`},
	{"r7_it_richieste.txt", `Spett.le Ufficio Tributi,
il mio codice fiscale è {cfL1} e chiedo il rimborso. ⟨it_fiscal_code⟩
Cod. fisc. {cfL2} — pratica n. 2026/118. ⟨it_fiscal_code⟩
Richiedente con codice fiscale n. {cfMixed}, residente all'estero. ⟨it_fiscal_code⟩
Please note my Italian fiscal code: {cfL3} ⟨it_fiscal_code⟩
codice_fiscale={cfL4} ⟨it_fiscal_code⟩
Il codice fiscale del coniuge è {cfBad1}, forse errato.
cod. fisc. {cfBad2}
Codice fiscale: nonpervenutoxxxx (da integrare)
Il codice fiscale sarà comunicato in seguito dall'ufficio amministrativo.
`},
	{"r7_formulaire.txt", `FORMULAIRE D'INSCRIPTION
Nom / Prénom : LEROY Camille ⟨person_name⟩
Prénom(s) : Anne Sophie ⟨person_name⟩
Nom de famille : MOREAU ⟨person_name⟩
Prénoms : Paul Henri ⟨person_name⟩
Nom : DUBOIS
`},
	{"r7_inscrits.csv", `Nom;Prénoms;Ville
Girard;Élodie Marie;Nantes ⟨person_name⟩
Faure;Julien;Rennes ⟨person_name⟩
`},
	{"r7_champs.csv", `Champ;Type;Obligatoire;Longueur
Prénom;texte;oui;50
Prénom(s);texte;non;80
Nom / Prénom;texte;oui;120
Date de naissance;date;oui;10
`},
	{"r7_stats.csv", `Prénom;Nombre;Part
renseigné;1520;0.93
non renseigné;112;0.07
`},
}

// Recall7Files returns the seventh round's check files (r7FileDocs).
func Recall7Files() []HeldOutFile {
	v := map[string]string{}
	lower := func(s string) string { return strings.ToLower(s) }
	cf1 := hoFiscalCode("BNCGPP78C15F205")
	v["cfL1"] = lower(cf1)
	v["cfL2"] = lower(hoFiscalCode("FRRLCU90E55L219"))
	cf3 := hoFiscalCode("CLMNDR82A01D612")
	v["cfMixed"] = cf3[:1] + lower(cf3[1:6]) + cf3[6:]
	v["cfL3"] = lower(hoFiscalCode("GLLFNC88R22G273"))
	v["cfL4"] = lower(hoFiscalCode("MRTSRA95H60A944"))
	// Decoys: the check character moved one letter on.
	next := func(cf string) string { return cf[:15] + string(rune('a'+(cf[15]-'A'+1)%26)) }
	v["cfBad1"] = lower(next(hoFiscalCode("RCCGNN70T08H501")))
	v["cfBad2"] = lower(next(cf1))
	return h5Files(r7FileDocs, v)
}
