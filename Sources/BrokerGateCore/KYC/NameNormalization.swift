import Foundation

/// Name normalization and transliteration keys for `SanctionsScreening` (documented there).
extension SanctionsScreening {
    /// Particles and suffixes that vary between spellings of the same name and carry no
    /// identity: Arabic articles and nasab (al, el, ul, bin, ibn, bint), Romance and Germanic
    /// particles (de, del, da, van, von), generational suffixes. "ben" is kept: it is also a
    /// common given name.
    static let ignoredTokens: Set<String> = [
        "al", "el", "ul", "bin", "ibn", "bint", "de", "del", "da", "van", "von", "jr", "sr", "ii", "iii",
    ]

    /// Letters that NFKD does not decompose into a base letter plus a mark.
    static let letterFolds: [Character: String] = [
        "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h",
    ]

    /// Normalized word tokens of a name, in their original order, particles dropped (see
    /// `SanctionsScreening`).
    static func tokens(of name: String) -> [String] {
        let words = foldedWords(name).prefix(maxTokens)
        let meaningful = words.filter { !ignoredTokens.contains($0) }
        return meaningful.isEmpty ? Array(words) : meaningful
    }

    /// Transliterated to Latin, accents and case folded, split into words: apostrophes join
    /// ("O'Brien" → "obrien"), all other punctuation separates ("UA-43" → "ua", "43").
    static func foldedWords(_ text: String) -> [String] {
        let latin =
            text.unicodeScalars.allSatisfy(\.isASCII) ? text : (text.applyingTransform(.toLatin, reverse: false) ?? text)
        var folded = ""
        for scalar in latin.decomposedStringWithCompatibilityMapping.lowercased().unicodeScalars {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark, .modifierLetter:
                continue  // accents, and Any-Latin's soft/hard-sign primes (ʹ ʺ)
            case .lowercaseLetter, .uppercaseLetter, .titlecaseLetter, .otherLetter, .decimalNumber:
                let character = Character(scalar)
                folded += letterFolds[character] ?? String(character)
            default:
                if !"'’‘`´ʼ".unicodeScalars.contains(scalar) { folded += " " }
            }
        }
        return folded.split(separator: " ").map(String.init)
    }

    /// Rewrites applied left to right in one pass (longest pattern first at each position),
    /// so a rewrite's output is never rewritten again.
    static let transliterationRewrites: [(pattern: [Character], replacement: String)] = [
        ("tsch", "ch"), ("sch", "sh"), ("tch", "ch"), ("dzh", "i"), ("zh", "i"), ("kh", "h"), ("ph", "f"),
        ("ck", "k"), ("ou", "u"), ("oo", "u"), ("q", "k"), ("w", "v"), ("x", "ks"), ("y", "i"), ("j", "i"),
    ].map { (Array($0.0), $0.1) }

    /// The transliteration key of one normalized token, as Unicode scalar values.
    static func key(_ token: String) -> [UInt32] {
        let characters = Array(token)
        var rewritten = ""
        var index = 0
        while index < characters.count {
            let rule = transliterationRewrites.first { rule in
                index + rule.pattern.count <= characters.count
                    && characters[index..<(index + rule.pattern.count)].elementsEqual(rule.pattern)
            }
            if let rule {
                rewritten += rule.replacement
                index += rule.pattern.count
            } else {
                rewritten.append(characters[index])
                index += 1
            }
        }
        var key: [UInt32] = []
        for scalar in rewritten.unicodeScalars where key.last != scalar.value {
            key.append(scalar.value)  // doubled letters collapse: "Assad" ≈ "Asad"
        }
        return key
    }
}
