/// Optional fields sent blank are stored as absent.
///
/// Forms send "" for an empty optional input, and `KYCValidation` already reads a blank
/// optional as "not provided". Storing it as absent keeps the rules' reasons precise ("birth
/// date is needed" rather than "'' is not a date") and keeps every echoed value parseable by
/// the SDK's types: an optional `date` field rendered as "" would fail strict validation.
extension KYCSubmissionData {
    public var normalized: KYCSubmissionData {
        switch self {
        case .baseline(var data):
            for path in [
                \BaselineKYCCheckData.addressCity, \.addressPostalCode, \.addressStreet1, \.addressStreet2, \.addressSubdivision,
                \.birthDate, \.email, \.firstName, \.middleName, \.taxIDNumber,
            ] {
                data[keyPath: path] = Self.presence(data[keyPath: path])
            }
            return .baseline(data)
        case .us(var data):
            for path in [\USKYCCheckData.Identity.middleName, \.state, \.unit] {
                data.identity[keyPath: path] = Self.presence(data.identity[keyPath: path])
            }
            for path in [\USKYCCheckData.Employment.employerAddress, \.employerName, \.employmentPosition] {
                data.employment[keyPath: path] = Self.presence(data.employment[keyPath: path])
            }
            for path in [\USKYCCheckData.TrustedContact.emailAddress, \.phoneNumber] {
                data.trustedContact[keyPath: path] = Self.presence(data.trustedContact[keyPath: path])
            }
            if var info = data.usImmigrationInfo {
                for path in [\USKYCCheckData.USImmigrationInfo.departureFromUSDate, \.visaExpirationDate, \.visaType] {
                    info[keyPath: path] = Self.presence(info[keyPath: path])
                }
                data.usImmigrationInfo = info
            }
            return .us(data)
        }
    }

    private static func presence(_ value: String?) -> String? {
        guard let value, !value.allSatisfy(\.isWhitespace) else { return nil }
        return value
    }
}
