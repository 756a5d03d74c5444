import Foundation

/// Leaf format checks behind `KYCValidation`: pure functions of one value, no policy. Each is
/// strict where the wire format is defined (dates, E.164, ISO codes) and pragmatic where the
/// real-world format is not (emails, foreign postal codes), so no customer is refused for a
/// valid address that a textbook regex would miss.
enum KYCFieldFormats {
    // MARK: Text

    /// Whether the text contains characters that have no place in a KYC field: C0/C1 controls
    /// (including newlines) and the bidirectional overrides/isolates that can make a stored
    /// name display as something else ("Trojan Source").
    static func hasForbiddenCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            scalar.properties.generalCategory == .control || isBidiControl(scalar)
        }
    }

    /// Unicode's bidirectional formatting controls (UAX #9): marks (ALM, LRM, RLM), embeddings
    /// and overrides (LRE…RLO), isolates (LRI…PDI). Invisible, they reorder how the text around
    /// them is displayed ("Trojan Source"), so a reviewer could read another name than the one
    /// screened.
    static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// Whether `text` reads as a personal name in any script: letters, combining marks, spaces,
    /// apostrophes (' and ’), hyphens and periods ("O'Brien", "Jean-Luc", "J. R."). Digits and
    /// symbols are refused: they are data-entry mistakes and defeat name screening.
    static func isPersonName(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                .nonspacingMark, .spacingMark, .enclosingMark:
                return true
            default:
                return " '’-.".unicodeScalars.contains(scalar)
            }
        }
    }

    // MARK: Email and phone

    /// A pragmatic RFC 5321 mailbox check: one "@", an unquoted ASCII local part of 1–64
    /// characters without leading, trailing or doubled dots, and a DNS domain of at least two
    /// labels with an alphabetic (or punycode) top-level label. Internationalized addresses
    /// must be sent in punycode, which every mail system accepts.
    static func isEmail(_ text: String) -> Bool {
        guard text.utf8.count <= 254, text.allSatisfy(\.isASCII) else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, isEmailLocalPart(parts[0]) else { return false }
        return isDomain(parts[1])
    }

    private static func isEmailLocalPart(_ local: Substring) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~.-")
        return (1...64).contains(local.count) && local.allSatisfy(allowed.contains)
            && local.first != "." && local.last != "." && !local.contains("..")
    }

    private static func isDomain(_ domain: Substring) -> Bool {
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard domain.count <= 253, labels.count >= 2 else { return false }
        for label in labels {
            guard (1...63).contains(label.count), label.first != "-", label.last != "-",
                label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            else { return false }
        }
        let top = labels[labels.count - 1]
        return top.hasPrefix("xn--") || (top.count >= 2 && top.allSatisfy(\.isLetter))
    }

    /// E.164 as the SDK documents it ("+15555555555"): a plus, then 8 to 15 digits, the first
    /// not zero (country codes never start with 0). No spaces, so stored numbers compare equal.
    static func isE164Phone(_ text: String) -> Bool {
        let digits = text.utf8.dropFirst()
        return text.utf8.first == UInt8(ascii: "+") && (8...15).contains(digits.count)
            && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            && digits.first != UInt8(ascii: "0")
    }

    // MARK: Tax ids

    /// A US SSN or ITIN: nine digits, optionally as NNN-NN-NNNN. Refuses numbers the SSA never
    /// issues (area 000 or 666, group 00, serial 0000); area 9xx is allowed because ITINs use it.
    static func isUSTaxID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let digits: [UInt8]
        if bytes.count == 11, bytes[3] == UInt8(ascii: "-"), bytes[6] == UInt8(ascii: "-") {
            digits = Array(bytes[0..<3] + bytes[4..<6] + bytes[7..<11])
        } else {
            digits = bytes
        }
        guard digits.count == 9, digits.allSatisfy({ (48...57).contains($0) }) else { return false }
        let text = String(decoding: digits, as: UTF8.self)
        let area = text.prefix(3)
        let group = text.dropFirst(3).prefix(2)
        let serial = text.suffix(4)
        return area != "000" && area != "666" && group != "00" && serial != "0000"
    }

    /// A foreign tax id: 1–64 letters, digits, spaces, dots, slashes or hyphens. Formats vary
    /// too much by country to check more without false refusals.
    static func isTaxIDNumber(_ text: String) -> Bool {
        (1...64).contains(text.count)
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || " ./-".contains($0)) }
    }

    // MARK: Network

    /// A dotted-quad IPv4 address without leading zeros (which some parsers read as octal).
    static func isIPv4(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { part in
                guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber),
                    let value = Int(part)
                else { return false }
                return value <= 255 && (part.count == 1 || part.first != "0")
            }
    }

    /// An IPv6 address in RFC 4291 text form: eight groups of 1–4 hex digits, at most one "::",
    /// optionally ending in an embedded IPv4 address. Zone ids ("%eth0") are refused: they
    /// are meaningless outside the host that wrote them.
    static func isIPv6(_ text: Substring) -> Bool {
        guard (2...45).contains(text.count) else { return false }
        var body = String(text)
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard isIPv4(text[text.index(after: lastColon)...]) else { return false }
            body = text[...lastColon] + "0:0"  // the IPv4 tail counts as two groups
        }
        let halves = body.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        var groupCount = 0
        for half in halves where !half.isEmpty {
            let groups = half.split(separator: ":", omittingEmptySubsequences: false)
            guard groups.allSatisfy({ (1...4).contains($0.count) && $0.allSatisfy(\.isHexDigit) }) else {
                return false
            }
            groupCount += groups.count
        }
        return halves.count == 2 ? groupCount <= 7 : groupCount == 8
    }

    /// An IPv4 or IPv6 address.
    static func isIPAddress(_ text: String) -> Bool {
        isIPv4(text[...]) || isIPv6(text[...])
    }

    // MARK: Dates and instants

    /// A strict ISO 8601 instant with offset (`ISO8601Instant`), for KYC timestamps.
    static func parseInstant(_ text: String) -> Date? {
        ISO8601Instant.parse(text)
    }
}
