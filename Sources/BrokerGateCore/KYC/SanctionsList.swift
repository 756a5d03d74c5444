/// One listed person on a public sanctions list, as the list spells the name.
public struct SanctionsListEntry: Sendable, Equatable, Hashable {
    /// The publishing list, e.g. "OFAC SDN" or "EU consolidated".
    public let list: String
    /// The program and legal basis the person is listed under, with the listing date.
    public let program: String
    /// The list's primary spelling, "SURNAME, Given Names" (OFAC style). A name without a
    /// comma has no surname/given split (e.g. Burmese names) and all its parts must match.
    public let primaryName: String
    /// Alternative spellings the list itself publishes ("a.k.a."), same format.
    public let aliases: [String]

    public init(list: String, program: String, primaryName: String, aliases: [String] = []) {
        self.list = list
        self.program = program
        self.primaryName = primaryName
        self.aliases = aliases
    }

    /// The primary name followed by the aliases.
    public var allNames: [String] { [primaryName] + aliases }
}

/// A SMALL, sourced fixture of sanctioned persons for the `name_screening` rule.
///
/// This is a demonstration and test fixture, not a compliance list: production screening must
/// load the full, current lists (OFAC SDN and Consolidated, EU, UN, UK) daily. The entries are
/// heads of sanctioned regimes and other prominent designees, chosen because their listing is
/// unambiguous and public; each cites its list, program and designation date as of 2025
/// (OFAC Sanctions List Search, https://sanctionssearch.ofac.treas.gov; EU Sanctions Map,
/// https://www.sanctionsmap.eu). Aliases are the list's own a.k.a. spellings; transliteration
/// variants beyond them are the matcher's job (`SanctionsScreening`), not the fixture's.
public enum SanctionsList {
    /// The fixture entries.
    public static let fixture: [SanctionsListEntry] = [
        // OFAC SDN [RUSSIA-EO14024], E.O. 14024, designated 2022-02-25; also EU Reg. 269/2014.
        SanctionsListEntry(
            list: "OFAC SDN", program: "RUSSIA-EO14024 (E.O. 14024), designated 2022-02-25",
            primaryName: "PUTIN, Vladimir Vladimirovich", aliases: ["PUTIN, Vladimir"]),
        // OFAC SDN [RUSSIA-EO14024], E.O. 14024, designated 2022-02-25; also EU Reg. 269/2014.
        SanctionsListEntry(
            list: "OFAC SDN", program: "RUSSIA-EO14024 (E.O. 14024), designated 2022-02-25",
            primaryName: "LAVROV, Sergei Viktorovich", aliases: ["LAVROV, Sergey Viktorovich"]),
        // OFAC SDN [RUSSIA-EO14024], E.O. 14024, designated 2022-02-25.
        SanctionsListEntry(
            list: "OFAC SDN", program: "RUSSIA-EO14024 (E.O. 14024), designated 2022-02-25",
            primaryName: "SHOIGU, Sergei Kuzhugetovich", aliases: ["SHOYGU, Sergey Kuzhugetovich"]),
        // OFAC SDN [RUSSIA-EO14024], E.O. 14024, designated 2022-02-25.
        SanctionsListEntry(
            list: "OFAC SDN", program: "RUSSIA-EO14024 (E.O. 14024), designated 2022-02-25",
            primaryName: "GERASIMOV, Valery Vasilyevich", aliases: ["GERASIMOV, Valeriy Vasilevich"]),
        // OFAC SDN [UKRAINE-EO13661], E.O. 13661, designated 2014-04-28.
        SanctionsListEntry(
            list: "OFAC SDN", program: "UKRAINE-EO13661 (E.O. 13661), designated 2014-04-28",
            primaryName: "SECHIN, Igor Ivanovich"),
        // OFAC SDN [BELARUS], E.O. 13405 (named in its annex), 2006-06-16.
        SanctionsListEntry(
            list: "OFAC SDN", program: "BELARUS (E.O. 13405), designated 2006-06-16",
            primaryName: "LUKASHENKA, Alyaksandr Ryhorovich",
            aliases: ["LUKASHENKO, Alexander Grigoryevich", "LUKASHENKO, Aleksandr Grigoryevich"]),
        // OFAC SDN, North Korea human-rights designation under E.O. 13687, 2016-07-06.
        SanctionsListEntry(
            list: "OFAC SDN", program: "North Korea (E.O. 13687), designated 2016-07-06",
            primaryName: "KIM, Jong Un", aliases: ["KIM, Jong-un", "KIM, Cho'ng-u'n"]),
        // OFAC SDN, North Korea human-rights designation under E.O. 13687, 2017-01-11.
        SanctionsListEntry(
            list: "OFAC SDN", program: "North Korea (E.O. 13687), designated 2017-01-11",
            primaryName: "KIM, Yo Jong", aliases: ["KIM, Yo-jong", "KIM, Yo'-cho'ng"]),
        // OFAC SDN [IRAN-EO13876], E.O. 13876 (Supreme Leader of Iran), designated 2019-06-24.
        SanctionsListEntry(
            list: "OFAC SDN", program: "IRAN-EO13876 (E.O. 13876), designated 2019-06-24",
            primaryName: "KHAMENEI, Ali"),
        // OFAC SDN [VENEZUELA], E.O. 13692, designated 2017-07-31.
        SanctionsListEntry(
            list: "OFAC SDN", program: "VENEZUELA (E.O. 13692), designated 2017-07-31",
            primaryName: "MADURO MOROS, Nicolas"),
        // OFAC SDN [NICARAGUA], E.O. 13851, designated 2018-11-27.
        SanctionsListEntry(
            list: "OFAC SDN", program: "NICARAGUA (E.O. 13851), designated 2018-11-27",
            primaryName: "MURILLO ZAMBRANA, Rosario Maria"),
        // OFAC SDN: Sergei Magnitsky Act 2017-12-20; [GLOMAG] E.O. 13818, 2020-07-16.
        SanctionsListEntry(
            list: "OFAC SDN", program: "GLOMAG (E.O. 13818), designated 2020-07-16; MAGNIT 2017-12-20",
            primaryName: "KADYROV, Ramzan Akhmatovich"),
        // OFAC SDN [SDNTK], Foreign Narcotics Kingpin Designation Act, identified 2001-06-01.
        SanctionsListEntry(
            list: "OFAC SDN", program: "SDNTK (Kingpin Act), identified 2001-06-01",
            primaryName: "GUZMAN LOERA, Joaquin", aliases: ["GUZMAN, Chapo", "GUZMAN, Archibaldo"]),
        // OFAC SDN [GLOMAG] E.O. 13818, 2019-12-10; [BURMA-EO14014], 2021-02-11. No surname.
        SanctionsListEntry(
            list: "OFAC SDN", program: "GLOMAG (E.O. 13818) 2019-12-10; BURMA-EO14014 2021-02-11",
            primaryName: "MIN AUNG HLAING"),
        // EU consolidated list, Council Regulation (EU) No 36/2012 (Syria), Annex II, listed
        // 2011-05-23 (kept after the EU lifted economic sanctions on Syria in May 2025).
        SanctionsListEntry(
            list: "EU consolidated", program: "Regulation (EU) No 36/2012 (Syria) Annex II, listed 2011-05-23",
            primaryName: "AL-ASSAD, Bashar", aliases: ["AL-ASAD, Bashar"]),
    ]
}
