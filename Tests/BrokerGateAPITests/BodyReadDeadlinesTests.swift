import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import BrokerGateAPI

/// The watcher that ends late request bodies (`BodyReadDeadlines`); the whole path, a
/// trickled body answered 408 `request_body_timeout`, is
/// `Tests/conformance/test_hostile_connections.py::test_slowBody_is408_withinTheBodyBound`.
struct BodyReadDeadlinesTests {
    /// Records the errors that reach the end of a channel's pipeline, as the body stream's
    /// handler would see them.
    final class ErrorRecorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = Any
        let errors = Mutex<[any Error]>([])

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            errors.withLock { $0.append(error) }
        }

        var count: Int { errors.withLock { $0.count } }
    }

    func channel() async throws -> (NIOAsyncTestingChannel, ErrorRecorder) {
        let recorder = ErrorRecorder()
        let channel = NIOAsyncTestingChannel()
        try await channel.pipeline.addHandler(recorder)
        return (channel, recorder)
    }

    @Test
    func test_aReadPastItsDeadlineIsFailedOnce_aFinishedOneNever() async throws {
        let deadlines = BodyReadDeadlines(resolution: .milliseconds(10))
        let (late, lateErrors) = try await channel()
        let (onTime, onTimeErrors) = try await channel()
        let (notYet, notYetErrors) = try await channel()
        _ = deadlines.register(late, deadline: .now + .milliseconds(30))
        deadlines.finish(deadlines.register(onTime, deadline: .now + .milliseconds(30)))
        let waiting = deadlines.register(notYet, deadline: .now + .seconds(3_600))

        let giveUp = ContinuousClock.now + .seconds(10)
        while lateErrors.count == 0, ContinuousClock.now < giveUp { try await Task.sleep(for: .milliseconds(5)) }
        #expect(lateErrors.errors.withLock { $0.map { $0 is BodyReadTimedOut } } == [true])
        // Several more looks: a late read is failed once, and only late reads are.
        try await Task.sleep(for: .milliseconds(100))
        #expect(lateErrors.count == 1)
        #expect(onTimeErrors.count == 0)
        #expect(notYetErrors.count == 0)
        #expect(deadlines.registered == 1)
        deadlines.finish(waiting)
        #expect(deadlines.registered == 0)
    }

    /// The watcher parks when nothing is registered, and a later registration wakes it.
    @Test
    func test_aReadRegisteredAfterTheWatcherParked_isStillWatched() async throws {
        let deadlines = BodyReadDeadlines(resolution: .milliseconds(10))
        try await Task.sleep(for: .milliseconds(50))
        let (late, lateErrors) = try await channel()
        _ = deadlines.register(late, deadline: .now + .milliseconds(20))
        let giveUp = ContinuousClock.now + .seconds(10)
        while lateErrors.count == 0, ContinuousClock.now < giveUp { try await Task.sleep(for: .milliseconds(5)) }
        #expect(lateErrors.count == 1)
        #expect(deadlines.registered == 0)
    }
}
