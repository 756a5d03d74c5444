import Foundation

/// A list entry whose name resembles the screened name closely enough to need a human look.
public struct SanctionsMatch: Sendable, Equatable {
    /// The listed person.
    public let entry: SanctionsListEntry
    /// The list spelling (primary or alias) that matched best.
    public let matchedName: String
    /// max(query coverage, list coverage) in per-mille (see `SanctionsScreening`).
    public let scorePerMille: Int
}

/// Fuzzy, transliteration-tolerant name screening against a sanctions list.
///
/// **Normalization** (both sides): non-Latin scripts are transliterated to Latin (ICU Any-Latin,
/// so "Владимир Путин" is "Vladimir Putin"); Unicode NFKD with combining marks removed
/// ("Nicolás" → "nicolas"); case folded; letters NFKD leaves alone are mapped (ß→ss, ø→o,
/// ł→l, æ→ae, …); apostrophes vanish ("Cho'ng" → "chong"); other punctuation splits tokens
/// ("Jong-un" → "jong un"); Arabic/Romance/Germanic particles (al, el, bin, ibn, de, van, von,
/// …) and generational suffixes (jr, sr, ii, iii) are dropped, so "Bashar al-Assad" and
/// "AL-ASAD, Bashar" compare on "assad"/"asad" and "bashar".
///
/// **Transliteration key** per token: kh→h, ph→f, ck→k, q→k, w→v, x→ks, ou/oo→u, sch→sh,
/// tch/tsch→ch, zh/dzh→j, then y/j→i and doubled letters collapsed. So Khamenei≈Hamenei,
/// Kadyrow≈Kadyrov, Shoygu≈Shoigu, Assad≈Asad, Poutine≈Putin (+1 edit), Aleksandr≈Alexander.
///
/// **Token similarity**: Damerau-Levenshtein (optimal string alignment) on the keys, as
/// per-mille `1000 × (longer − distance) / longer`. Tokens of ≤ 3 letters must be equal keys
/// ("un", "kim", "ali"): one edit in a short token is a different name. A one-letter query
/// token matches a given name with the same initial ("V. Putin").
///
/// **Name match**: tokens are aligned one-to-one, best pairs first, order-free (token sort);
/// a pair counts when its similarity is ≥ `surnameTokenThresholdPerMille` (800) for the list's
/// surname tokens and ≥ `givenTokenThresholdPerMille` (750) for given names. A list name
/// matches when (1) its first surname token is matched by a full query token, (2) its first
/// given name is matched (for names without a comma: every token is matched), and (3) the
/// matched share of the query *or* of the list name, weighted by token length and similarity,
/// is ≥ `coverageThresholdPerMille` (850). (1)+(2) stop common names that share only a first
/// name or only a surname ("Vladimir Petrov", "Ruslan Kadyrov", "Maria Murillo"); (3) stops
/// names that share a prefix but add a conflicting part ("Kim Jong Man" vs "Kim Jong Un"),
/// while tolerating omitted patronymics ("Sergei Lavrov") or extra middle names.
public enum SanctionsScreening {
    /// Minimum similarity for a query token to stand for a listed surname token.
    public static let surnameTokenThresholdPerMille = 800
    /// Minimum similarity for a query token to stand for a listed given-name token.
    public static let givenTokenThresholdPerMille = 750
    /// Minimum length-weighted coverage of the query or of the listed name.
    public static let coverageThresholdPerMille = 850
    /// Limits: screening reads at most this many tokens of a name (names are ≤ 100 characters
    /// after validation; the limit bounds the O(n²) alignment for any caller).
    static let maxTokens = 16

    /// Every entry of the built-in fixture (`SanctionsList.fixture`) that `fullName` resembles,
    /// best first, one match per entry.
    public static func screen(_ fullName: String) -> [SanctionsMatch] {
        screen(fullName, prepared: preparedFixture)
    }

    /// Every entry of `list` that `fullName` resembles, best first, one match per entry.
    public static func screen(_ fullName: String, against list: [SanctionsListEntry]) -> [SanctionsMatch] {
        screen(fullName, prepared: list.map(PreparedEntry.init))
    }

    static func screen(_ fullName: String, prepared: [PreparedEntry]) -> [SanctionsMatch] {
        let query = tokens(of: fullName).map(key)
        guard !query.isEmpty else { return [] }
        var matches: [SanctionsMatch] = []
        for entry in prepared {
            let scored = entry.names.compactMap { name in score(query: query, name: name).map { (name.display, $0) } }
            if let (display, score) = scored.max(by: { $0.1 < $1.1 }) {
                matches.append(SanctionsMatch(entry: entry.entry, matchedName: display, scorePerMille: score))
            }
        }
        return matches.sorted { $0.scorePerMille > $1.scorePerMille }
    }

    // MARK: Matching

    /// The match score of `query` against one list name, or nil when it is not a match.
    static func score(query: [[UInt32]], name: ScreeningName) -> Int? {
        let listTokens = name.surname + name.given
        let pairs = align(query: query, list: listTokens, surnameCount: name.surname.count)
        let matchedList = Dictionary(pairs.map { ($0.list, $0) }, uniquingKeysWith: { first, _ in first })
        let surnameMatched =
            name.given.isEmpty
            ? listTokens.indices.allSatisfy { matchedList[$0] != nil }
            : matchedList[0].map { query[$0.query].count > 1 } ?? false
        let givenMatched = name.given.isEmpty || matchedList[name.surname.count] != nil
        guard surnameMatched, givenMatched else { return nil }
        let queryCoverage = coverage(pairs, lengths: query.map(\.count), side: \.query)
        let listCoverage = coverage(pairs, lengths: listTokens.map(\.count), side: \.list)
        let score = max(queryCoverage, listCoverage)
        return score >= coverageThresholdPerMille ? score : nil
    }

    struct Pair {
        let query: Int
        let list: Int
        let similarityPerMille: Int
    }

    /// Greedy one-to-one alignment, most similar pairs first (ties: earlier list token first).
    static func align(query: [[UInt32]], list: [[UInt32]], surnameCount: Int) -> [Pair] {
        var candidates: [Pair] = []
        for (q, queryToken) in query.enumerated() {
            for (l, listToken) in list.enumerated() {
                let isSurname = l < surnameCount
                let similarity = tokenSimilarityPerMille(queryToken, listToken, allowInitial: !isSurname)
                let threshold = isSurname ? surnameTokenThresholdPerMille : givenTokenThresholdPerMille
                if similarity >= threshold {
                    candidates.append(Pair(query: q, list: l, similarityPerMille: similarity))
                }
            }
        }
        candidates.sort { ($0.similarityPerMille, -$0.list) > ($1.similarityPerMille, -$1.list) }
        var usedQuery = Set<Int>()
        var usedList = Set<Int>()
        var pairs: [Pair] = []
        for pair in candidates where !usedQuery.contains(pair.query) && !usedList.contains(pair.list) {
            usedQuery.insert(pair.query)
            usedList.insert(pair.list)
            pairs.append(pair)
        }
        return pairs
    }

    /// Σ length × similarity over matched tokens of one side ÷ Σ length of that side, per-mille.
    static func coverage(_ pairs: [Pair], lengths: [Int], side: KeyPath<Pair, Int>) -> Int {
        let total = lengths.reduce(0, +)
        guard total > 0 else { return 0 }
        let matched = pairs.reduce(0) { $0 + lengths[$1[keyPath: side]] * $1.similarityPerMille }
        return matched / total
    }

    /// Similarity of two transliteration keys, per-mille.
    static func tokenSimilarityPerMille(_ a: [UInt32], _ b: [UInt32], allowInitial: Bool) -> Int {
        if a == b { return 1000 }
        if allowInitial, a.count == 1, b.first == a.first { return 1000 }
        let longer = max(a.count, b.count)
        guard min(a.count, b.count) > 3 else { return 0 }
        return 1000 * (longer - damerauLevenshtein(a, b)) / longer
    }

    /// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent
    /// transpositions ("Alexandre"/"Alexander") each cost 1.
    static func damerauLevenshtein(_ a: [UInt32], _ b: [UInt32]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previousPrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previousPrevious[j - 2] + 1)
                }
            }
            (previousPrevious, previous, current) = (previous, current, previousPrevious)
        }
        return previous[b.count]
    }

    // MARK: Prepared list names

    /// One list spelling split into surname and given-name keys.
    struct ScreeningName: Sendable {
        let display: String
        let surname: [[UInt32]]
        let given: [[UInt32]]
    }

    struct PreparedEntry: Sendable {
        let entry: SanctionsListEntry
        let names: [ScreeningName]

        init(_ entry: SanctionsListEntry) {
            self.entry = entry
            self.names = entry.allNames.flatMap(SanctionsScreening.screeningNames)
        }
    }

    /// The fixture, normalized once.
    static let preparedFixture: [PreparedEntry] = SanctionsList.fixture.map(PreparedEntry.init)

    /// "KIM, Jong Un" → [kim | jong un] and, because romanized Korean and Chinese given names
    /// are written split, hyphenated or joined alike, also [kim | jongun].
    static func screeningNames(_ listName: String) -> [ScreeningName] {
        let parts = listName.split(separator: ",", maxSplits: 1).map(String.init)
        let surname = tokens(of: parts[0]).map(key)
        let given = parts.count > 1 ? tokens(of: parts[1]).map(key) : []
        var names = [ScreeningName(display: listName, surname: surname, given: given)]
        if given.count > 1 {
            names.append(ScreeningName(display: listName, surname: surname, given: [key(tokens(of: parts[1]).joined())]))
        }
        return names
    }
}
