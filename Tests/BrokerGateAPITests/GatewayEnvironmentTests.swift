import BrokerGateAPI
import BrokerGateBroker
import BrokerGateCore
import BrokerGateStores
import Testing

/// The environment is the gateway's only input: a dependency left as a stand-in is refused
/// when the gateway is built, by name, not discovered at the first request that needs it.
@Suite struct GatewayEnvironmentTests {
    static func environment(broker: any BrokerAdapter) -> GatewayEnvironment {
        GatewayEnvironment(
            store: MemoryStore(), clock: FixedClock(TestGateway.saturdayMorning), sandbox: true, broker: broker, calendar: .nyse,
            prices: .standard)
    }

    @Test func test_aStandInBroker_failsAtStart_namingIt() throws {
        let environment = Self.environment(broker: UnimplementedBroker())
        #expect(environment.unimplemented == ["broker"])
        let error = #expect(throws: GatewayEnvironment.Incomplete.self) {
            _ = try buildApplication(environment: environment, host: "127.0.0.1", port: 0)
        }
        #expect(error?.missing == ["broker"])
        #expect("\(error.map { "\($0)" } ?? "")".hasPrefix("GatewayEnvironment is missing broker:"))
    }

    @Test func test_aStandInBroker_failsLoudlyWhenUsed() async throws {
        let broker = UnimplementedBroker()
        await #expect(throws: GatewayEnvironment.Incomplete.self) { _ = try await broker.book() }
        await #expect(throws: GatewayEnvironment.Incomplete.self) { _ = try await broker.query("order") }
    }

    @Test func test_aCompleteEnvironment_builds() throws {
        let store = MemoryStore()
        let clock = FixedClock(TestGateway.saturdayMorning)
        let environment = GatewayEnvironment(
            store: store, clock: clock, sandbox: true, broker: SimulatedBroker(store: store, clock: clock), calendar: .nyse,
            prices: .standard)
        #expect(environment.unimplemented.isEmpty)
        _ = try buildApplication(environment: environment, host: "127.0.0.1", port: 0)
    }
}
