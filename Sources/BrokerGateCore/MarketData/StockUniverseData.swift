/// The seeded listings. Identifiers were checked, not recalled: CIKs against the SEC's
/// `company_tickers.json` (and `company_tickers_mf.json` for the iShares and Vanguard trusts),
/// CUSIPs against published ISINs (US + CUSIP + check digit), composite FIGIs against at least
/// two independent public listings each; `StockUniverseTests` re-checks every CUSIP and FIGI
/// check digit. Where a value could not be confirmed it is `nil`, never guessed: the composite
/// FIGIs of COIN, PLTR and UBER. ExxonMobil is left out on purpose: public listings disagree on
/// its composite FIGI (one attributes a new FIGI and CIK to a holding-company reorganisation),
/// and a stale identifier is worse than a missing listing.
///
/// `priceCents` and `volatilityBps` are simulation parameters, not market data: the level the
/// price walk hovers around (roughly the late-2025 price) and the standard deviation of one
/// trading day's move. Symbols use the exchange spelling (`BRK.B`).
extension StockUniverse {
    static let seededListings: [Listing] = [
        .init(
            "AAPL", "Apple Inc.", .commonStock, cik: 320193, figi: "BBG000B9XRY4", cusip: "037833100",
            priceCents: 23_000, volatilityBps: 160),
        .init(
            "MSFT", "Microsoft Corporation", .commonStock, cik: 789019, figi: "BBG000BPH459", cusip: "594918104",
            priceCents: 42_000, volatilityBps: 150),
        .init(
            "AMZN", "Amazon.com, Inc.", .commonStock, cik: 1018724, figi: "BBG000BVPV84", cusip: "023135106",
            priceCents: 20_000, volatilityBps: 190),
        .init(
            "GOOGL", "Alphabet Inc. Class A", .commonStock, cik: 1652044, figi: "BBG009S39JX6", cusip: "02079K305",
            priceCents: 17_000, volatilityBps: 180),
        .init(
            "META", "Meta Platforms, Inc. Class A", .commonStock, cik: 1326801, figi: "BBG000MM2P62", cusip: "30303M102",
            priceCents: 58_000, volatilityBps: 230),
        .init(
            "NVDA", "NVIDIA Corporation", .commonStock, cik: 1045810, figi: "BBG000BBJQV0", cusip: "67066G104",
            priceCents: 13_000, volatilityBps: 320),
        .init(
            "TSLA", "Tesla, Inc.", .commonStock, cik: 1318605, figi: "BBG000N9MNX3", cusip: "88160R101",
            priceCents: 25_000, volatilityBps: 380),
        .init(
            "BRK.B", "Berkshire Hathaway Inc. Class B", .commonStock, cik: 1067983, figi: "BBG000DWG505", cusip: "084670702",
            priceCents: 46_000, volatilityBps: 100),
        .init(
            "JPM", "JPMorgan Chase & Co.", .commonStock, cik: 19617, figi: "BBG000DMBXR2", cusip: "46625H100",
            priceCents: 22_000, volatilityBps: 140),
        .init(
            "V", "Visa Inc. Class A", .commonStock, cik: 1403161, figi: "BBG000PSKYX7", cusip: "92826C839",
            priceCents: 30_000, volatilityBps: 120),
        .init(
            "MA", "Mastercard Incorporated Class A", .commonStock, cik: 1141391, figi: "BBG000F1ZSQ2", cusip: "57636Q104",
            priceCents: 50_000, volatilityBps: 130),
        .init(
            "JNJ", "Johnson & Johnson", .commonStock, cik: 200406, figi: "BBG000BMHYD1", cusip: "478160104",
            priceCents: 15_500, volatilityBps: 100),
        .init(
            "WMT", "Walmart Inc.", .commonStock, cik: 104169, figi: "BBG000BWXBC2", cusip: "931142103",
            priceCents: 8_000, volatilityBps: 110),
        .init(
            "PG", "The Procter & Gamble Company", .commonStock, cik: 80424, figi: "BBG000BR2TH3", cusip: "742718109",
            priceCents: 16_500, volatilityBps: 100),
        .init(
            "UNH", "UnitedHealth Group Incorporated", .commonStock, cik: 731766, figi: "BBG000CH5208", cusip: "91324P102",
            priceCents: 52_000, volatilityBps: 170),
        .init(
            "HD", "The Home Depot, Inc.", .commonStock, cik: 354950, figi: "BBG000BKZB36", cusip: "437076102",
            priceCents: 39_000, volatilityBps: 140),
        .init(
            "KO", "The Coca-Cola Company", .commonStock, cik: 21344, figi: "BBG000BMX289", cusip: "191216100",
            priceCents: 6_500, volatilityBps: 90),
        .init(
            "PEP", "PepsiCo, Inc.", .commonStock, cik: 77476, figi: "BBG000DH7JK6", cusip: "713448108",
            priceCents: 16_000, volatilityBps: 100),
        .init(
            "DIS", "The Walt Disney Company", .commonStock, cik: 1744489, figi: "BBG000BH4R78", cusip: "254687106",
            priceCents: 10_000, volatilityBps: 170),
        .init(
            "NFLX", "Netflix, Inc.", .commonStock, cik: 1065280, figi: "BBG000CL9VN6", cusip: "64110L106",
            priceCents: 70_000, volatilityBps: 250),
        .init(
            "INTC", "Intel Corporation", .commonStock, cik: 50863, figi: "BBG000C0G1D1", cusip: "458140100",
            priceCents: 2_200, volatilityBps: 280),
        .init(
            "AMD", "Advanced Micro Devices, Inc.", .commonStock, cik: 2488, figi: "BBG000BBQCY0", cusip: "007903107",
            priceCents: 14_000, volatilityBps: 330),
        .init(
            "CSCO", "Cisco Systems, Inc.", .commonStock, cik: 858877, figi: "BBG000C3J3C9", cusip: "17275R102",
            priceCents: 5_800, volatilityBps: 140),
        .init(
            "ORCL", "Oracle Corporation", .commonStock, cik: 1341439, figi: "BBG000BQLTW7", cusip: "68389X105",
            priceCents: 17_000, volatilityBps: 220),
        .init(
            "CRM", "Salesforce, Inc.", .commonStock, cik: 1108524, figi: "BBG000BN2DC2", cusip: "79466L302",
            priceCents: 30_000, volatilityBps: 220),
        .init(
            "ADBE", "Adobe Inc.", .commonStock, cik: 796343, figi: "BBG000BB5006", cusip: "00724F101",
            priceCents: 50_000, volatilityBps: 210),
        .init(
            "COST", "Costco Wholesale Corporation", .commonStock, cik: 909832, figi: "BBG000F6H8W8", cusip: "22160K105",
            priceCents: 90_000, volatilityBps: 130),
        .init(
            "BAC", "Bank of America Corporation", .commonStock, cik: 70858, figi: "BBG000BCTLF6", cusip: "060505104",
            priceCents: 4_200, volatilityBps: 170),
        .init(
            "WFC", "Wells Fargo & Company", .commonStock, cik: 72971, figi: "BBG000BWQFY7", cusip: "949746101",
            priceCents: 7_000, volatilityBps: 170),
        .init(
            "GS", "The Goldman Sachs Group, Inc.", .commonStock, cik: 886982, figi: "BBG000C6CFJ5", cusip: "38141G104",
            priceCents: 55_000, volatilityBps: 170),
        .init(
            "MS", "Morgan Stanley", .commonStock, cik: 895421, figi: "BBG000BLZRJ2", cusip: "617446448",
            priceCents: 12_500, volatilityBps: 170),
        .init(
            "CVX", "Chevron Corporation", .commonStock, cik: 93410, figi: "BBG000K4ND22", cusip: "166764100",
            priceCents: 15_000, volatilityBps: 150),
        .init(
            "PFE", "Pfizer Inc.", .commonStock, cik: 78003, figi: "BBG000BR2B91", cusip: "717081103",
            priceCents: 2_600, volatilityBps: 150),
        .init(
            "MRK", "Merck & Co., Inc.", .commonStock, cik: 310158, figi: "BBG000BPD168", cusip: "58933Y105",
            priceCents: 10_000, volatilityBps: 140),
        .init(
            "ABBV", "AbbVie Inc.", .commonStock, cik: 1551152, figi: "BBG0025Y4RY4", cusip: "00287Y109",
            priceCents: 19_000, volatilityBps: 150),
        .init(
            "LLY", "Eli Lilly and Company", .commonStock, cik: 59478, figi: "BBG000BNBDC2", cusip: "532457108",
            priceCents: 80_000, volatilityBps: 210),
        .init(
            "T", "AT&T Inc.", .commonStock, cik: 732717, figi: "BBG000BSJK37", cusip: "00206R102",
            priceCents: 2_200, volatilityBps: 130),
        .init(
            "VZ", "Verizon Communications Inc.", .commonStock, cik: 732712, figi: "BBG000HS77T5", cusip: "92343V104",
            priceCents: 4_200, volatilityBps: 120),
        .init(
            "MCD", "McDonald's Corporation", .commonStock, cik: 63908, figi: "BBG000BNSZP1", cusip: "580135101",
            priceCents: 29_000, volatilityBps: 110),
        .init(
            "NKE", "NIKE, Inc. Class B", .commonStock, cik: 320187, figi: "BBG000C5HS04", cusip: "654106103",
            priceCents: 7_500, volatilityBps: 210),
        .init(
            "BA", "The Boeing Company", .commonStock, cik: 12927, figi: "BBG000BCSST7", cusip: "097023105",
            priceCents: 17_000, volatilityBps: 230),
        .init(
            "IBM", "International Business Machines Corporation", .commonStock, cik: 51143, figi: "BBG000BLNNH6", cusip: "459200101",
            priceCents: 22_000, volatilityBps: 150),
        .init(
            "QCOM", "QUALCOMM Incorporated", .commonStock, cik: 804328, figi: "BBG000CGC1X8", cusip: "747525103",
            priceCents: 16_000, volatilityBps: 230),
        .init(
            "AVGO", "Broadcom Inc.", .commonStock, cik: 1730168, figi: "BBG00KHY5S69", cusip: "11135F101",
            priceCents: 17_000, volatilityBps: 300),
        .init(
            "PYPL", "PayPal Holdings, Inc.", .commonStock, cik: 1633917, figi: "BBG0077VNXV6", cusip: "70450Y103",
            priceCents: 7_500, volatilityBps: 240),
        .init(
            "TXN", "Texas Instruments Incorporated", .commonStock, cik: 97476, figi: "BBG000BVV7G1", cusip: "882508104",
            priceCents: 19_000, volatilityBps: 180),
        .init(
            "SBUX", "Starbucks Corporation", .commonStock, cik: 829224, figi: "BBG000CTQBF3", cusip: "855244109",
            priceCents: 9_500, volatilityBps: 190),
        .init(
            "AXP", "American Express Company", .commonStock, cik: 4962, figi: "BBG000BCQZS4", cusip: "025816109",
            priceCents: 28_000, volatilityBps: 170),
        .init(
            "COIN", "Coinbase Global, Inc. Class A", .commonStock, cik: 1679788, figi: nil, cusip: "19260Q107",
            priceCents: 25_000, volatilityBps: 450),
        .init(
            "PLTR", "Palantir Technologies Inc. Class A", .commonStock, cik: 1321655, figi: nil, cusip: "69608A108",
            priceCents: 6_000, volatilityBps: 420),
        .init(
            "UBER", "Uber Technologies, Inc.", .commonStock, cik: 1543151, figi: nil, cusip: "90353T100",
            priceCents: 7_000, volatilityBps: 270),
        .init(
            "SPY", "SPDR S&P 500 ETF Trust", .etf, cik: 884394, figi: "BBG000BDTBL9", cusip: "78462F103",
            priceCents: 58_000, volatilityBps: 95),
        .init(
            "QQQ", "Invesco QQQ Trust, Series 1", .etf, cik: 1067839, figi: "BBG000BSWKH7", cusip: "46090E103",
            priceCents: 50_000, volatilityBps: 120),
        .init(
            "IWM", "iShares Russell 2000 ETF", .etf, cik: 1100663, figi: "BBG000CGC9C4", cusip: "464287655",
            priceCents: 22_000, volatilityBps: 130),
        .init(
            "DIA", "SPDR Dow Jones Industrial Average ETF Trust", .etf, cik: 1041130, figi: "BBG000BTDS98", cusip: "78467X109",
            priceCents: 43_000, volatilityBps: 90),
        .init(
            "VTI", "Vanguard Total Stock Market ETF", .etf, cik: 36405, figi: "BBG000HR9779", cusip: "922908769",
            priceCents: 29_000, volatilityBps: 95),
    ]
}
