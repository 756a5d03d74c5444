import BrokerGateCore
import Foundation
import Hummingbird

/// `/api/v2/sandbox/…`: test affordances, routed only with `--sandbox`, operator keys only.
struct SandboxController {
    let clock: any SettableClock
    let store: any Store

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.get, "/api/v2/sandbox/clock", .sandboxOperator, readClock),
            RouteDefinition(.put, "/api/v2/sandbox/clock", .sandboxOperator, setClock),
        ]
    }

    struct ClockDTO: Codable, ResponseEncodable, Sendable {
        let now: Date
    }

    @Sendable func readClock(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        ClockDTO(now: clock.now())
    }

    /// Moves business time; it keeps running from the new instant. Bounded to the
    /// calendar's range so every rule that reads the clock stays defined. A move back tells
    /// the split job at once, so a historical split after the new date is applied when the
    /// clock next crosses it.
    @Sendable func setClock(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let input = try await WireJSON.decodeBody(ClockDTO.self, from: request, context: context)
        guard (Self.earliest...Self.latest).contains(input.now) else {
            throw DomainError.invalidField("now", "must be between 2000-01-01T05:00:00Z and 2040-12-31T23:59:59Z")
        }
        clock.set(input.now)
        try await SplitApplier.clockMoved(to: input.now, store: store)
        return ClockDTO(now: clock.now())
    }

    static let earliest = Date(timeIntervalSince1970: 946_702_800)  // 2000-01-01T05:00:00Z
    static let latest = Date(timeIntervalSince1970: 2_240_611_199)  // 2040-12-31T23:59:59Z
}
