/// Look-alike (homoglyph) spoofing: "Аlice" with a Cyrillic А reads as "Alice" but is another
/// string, so it slips past exact-match lists and misleads the people reading a review queue.
/// Unicode's confusables are overwhelmingly between Latin, Greek and Cyrillic letters, and
/// real names do not mix those scripts *within one word*, so that is the rule (UTS #39's
/// "single script" restriction, applied per word). Words may differ ("Anna Иванова" passes),
/// and other scripts mix freely (Japanese mixes Han and kana in one name).
public enum MixedScriptRule {
    enum Script { case latin, greek, cyrillic }

    /// What to tell the caller.
    public static let problem =
        "mixes Latin, Greek or Cyrillic letters within one word (a look-alike spoofing pattern); write each word in one script"

    /// Whether some word of `text` holds letters of more than one of Latin, Greek, Cyrillic.
    public static func mixesConfusableScripts(_ text: String) -> Bool {
        var seen: Script?
        for scalar in text.unicodeScalars {
            guard scalar.properties.isAlphabetic else {
                // Marks continue a word; anything else (space, hyphen, apostrophe) ends it.
                let category = scalar.properties.generalCategory
                if category != .nonspacingMark && category != .spacingMark && category != .enclosingMark { seen = nil }
                continue
            }
            guard let script = script(of: scalar) else { continue }
            if let previous = seen, previous != script { return true }
            seen = script
        }
        return false
    }

    /// The script of a letter among the three that are confused, or nil for any other.
    static func script(of scalar: Unicode.Scalar) -> Script? {
        switch scalar.value {
        case 0x41...0x5A, 0x61...0x7A, 0xC0...0x24F, 0x250...0x2AF, 0x1E00...0x1EFF, 0x2C60...0x2C7F, 0xA720...0xA7FF, 0xAB30...0xAB6F,
            0xFF21...0xFF3A, 0xFF41...0xFF5A:
            return .latin
        case 0x370...0x3FF, 0x1F00...0x1FFF:
            return .greek
        case 0x400...0x52F, 0x1C80...0x1C8F, 0x2DE0...0x2DFF, 0xA640...0xA69F:
            return .cyrillic
        default:
            return nil
        }
    }
}
