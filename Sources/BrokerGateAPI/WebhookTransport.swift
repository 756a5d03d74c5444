import AsyncHTTPClient
import BrokerGateCore
import BrokerGateTracing
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Host names resolved by the system resolver (getaddrinfo), off the cooperative pool: a
/// slow DNS server must not hold a thread every task shares.
public struct SystemWebhookResolver: WebhookResolver {
    public init() {}

    public func addresses(of host: String) async throws -> [IPAddress] {
        try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var found: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &found) == 0, let first = found else { return [] }
            defer { freeaddrinfo(first) }
            var addresses: [IPAddress] = []
            for entry in sequence(first: first, next: { $0.pointee.ai_next }) {
                guard let socket = entry.pointee.ai_addr else { continue }
                switch Int32(socket.pointee.sa_family) {
                case AF_INET:
                    let v4 = socket.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    addresses += IPAddress(bytes: withUnsafeBytes(of: v4) { Array($0) }).map { [$0] } ?? []
                case AF_INET6:
                    let v6 = socket.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    addresses += IPAddress(bytes: withUnsafeBytes(of: v6) { Array($0) }).map { [$0] } ?? []
                default: continue
                }
            }
            return addresses
        }
    }
}

/// Sends one webhook delivery: timeouts (connect 5 s, the whole exchange 15 s), no
/// redirects followed, at most 1 KiB of the answer kept. Never throws: every way a
/// delivery can fail is an attempt with an error.
struct WebhookTransport: Sendable {
    let client: HTTPClient
    let resolver: any WebhookResolver
    let policy: WebhookAddressPolicy
    let wallClock: any BusinessClock

    static let connectTimeout: TimeAmount = .seconds(5)
    static let totalTimeout: TimeAmount = .seconds(15)

    static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: connectTimeout, read: totalTimeout))
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: ClientTracing.withoutBuiltInSpans(configuration))
    }

    func send(url: String, headers: [(String, String)], body: [UInt8]) async -> WebhookAttempt {
        let started = ContinuousClock.now
        let at = wallClock.now()
        func millis() -> Int64 {
            let elapsed = ContinuousClock.now - started
            return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        }
        do {
            // Checked again now, on the addresses the name resolves to now (DNS rebinding).
            _ = try await resolver.admit(url, policy: policy)
        } catch let error as DomainError {
            return WebhookAttempt(
                attemptedAt: at, statusCode: nil, latencyMillis: nil, error: "refused: \(error.message)", responseBody: nil)
        } catch {
            return WebhookAttempt(attemptedAt: at, statusCode: nil, latencyMillis: nil, error: "refused: \(error)", responseBody: nil)
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "BrokerGate-Webhooks/1")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await ClientTracing.execute(
                request, named: "webhook POST", on: client, deadline: .now() + Self.totalTimeout)
            var kept: [UInt8] = []
            for try await chunk in response.body {
                kept += chunk.readableBytesView.prefix(WebhookAttempt.bodyPrefixMax - kept.count)
                if kept.count >= WebhookAttempt.bodyPrefixMax { break }
            }
            return WebhookAttempt(
                attemptedAt: at, statusCode: Int(response.status.code), latencyMillis: millis(), error: nil,
                responseBody: String(decoding: kept, as: UTF8.self))
        } catch {
            return WebhookAttempt(
                attemptedAt: at, statusCode: nil, latencyMillis: millis(), error: Self.describe(error), responseBody: nil)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout: return "timed out after \(totalTimeout.nanoseconds / 1_000_000_000) s"
            case .connectTimeout: return "could not connect within \(connectTimeout.nanoseconds / 1_000_000_000) s"
            default: return "\(client)"
            }
        }
        return String(describing: error)
    }
}
