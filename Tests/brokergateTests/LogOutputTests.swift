import Foundation
import Logging
import Testing

@testable import brokergate

/// The log's batched writer (`LogOutput`): `info` lines wait a moment and go out together,
/// a warning goes out before `log` returns and after everything logged before it, memory
/// stays bounded, and closing writes what is left.
struct LogOutputTests {
    /// A log file of its own, read back as text.
    final class LogFile {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("log-output-\(UUID().uuidString).log")
        let descriptor: Int32

        init() {
            descriptor = open(url.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        }

        var text: String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }

        deinit {
            Foundation.close(descriptor)
            try? FileManager.default.removeItem(at: url)
        }
    }

    private static func line(_ text: String) -> [UInt8] { Array("\(text)\n".utf8) }

    /// Polls until `condition` holds, for at most 5 s.
    private static func eventually(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func test_appendedLines_areWrittenSoon_inTheOrderLogged() async throws {
        let file = LogFile()
        let output = LogOutput(descriptor: file.descriptor)
        defer { output.close() }
        for index in 0..<1_000 { output.append(Self.line("line \(index)")) }
        let expected = (0..<1_000).map { "line \($0)\n" }.joined()
        #expect(try await Self.eventually { file.text == expected })
        // The writer parks when nothing is pending and wakes for the next line.
        try await Task.sleep(for: .milliseconds(20))
        output.append(Self.line("after a pause"))
        #expect(try await Self.eventually { file.text == expected + "after a pause\n" })
    }

    @Test func test_anUrgentLine_isWrittenAtOnce_afterEveryLineLoggedBeforeIt() {
        let file = LogFile()
        // Pending lines would wait a minute: only `writeNow` can have written them.
        let output = LogOutput(descriptor: file.descriptor, gatherInterval: .seconds(60))
        defer { output.close() }
        output.append(Self.line("request 1"))
        output.append(Self.line("request 2"))
        #expect(file.text == "", "info lines wait to be written together")
        output.writeNow(Self.line("store unavailable"))
        #expect(file.text == "request 1\nrequest 2\nstore unavailable\n")
    }

    @Test func test_pastTheBound_aLineIsWrittenAtOnce_withWhatWasPending() {
        let file = LogFile()
        let output = LogOutput(descriptor: file.descriptor, gatherInterval: .seconds(60), pendingBytesMax: 16)
        defer { output.close() }
        output.append(Self.line("0123456789"))
        #expect(file.text == "")
        output.append(Self.line("abcdefghij"))
        #expect(file.text == "0123456789\nabcdefghij\n", "11 + 11 bytes are over 16: written, not kept")
    }

    @Test func test_close_writesWhatIsPending_andLaterLinesAtOnce() {
        let file = LogFile()
        let output = LogOutput(descriptor: file.descriptor, gatherInterval: .seconds(60))
        output.append(Self.line("last request"))
        output.close()
        #expect(file.text == "last request\n")
        output.append(Self.line("after close"))
        #expect(file.text == "last request\nafter close\n")
        output.close()
    }

    @Test func test_theHandler_queuesInfo_andWritesWarningsBeforeReturning() {
        let file = LogFile()
        let output = LogOutput(descriptor: file.descriptor, gatherInterval: .seconds(60))
        defer { output.close() }
        let logger = Logger(label: "brokergate") { label in JSONLogHandler(label: label, level: .info, output: output) }
        logger.info("request")
        #expect(file.text == "")
        logger.warning("store unavailable")
        let messages = file.text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])?["msg"]
        }
        #expect(messages == ["request", "store unavailable"])
    }
}
