import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// Rules the web app's files in Public/ must keep.
struct PublicFilesTests {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// No inline script, event handler or style attribute in any page: the CSP would block
    /// them, silently breaking the page.
    @Test func test_publicPages_haveNoInlineScriptsHandlersOrStyles() throws {
        let folder = Self.root.appendingPathComponent("Public")
        let pages = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".html") }
        #expect(pages.contains("index.html") && pages.contains("kyc.html"))
        let inlineScript = try Regex(#"<script(?![^>]*\bsrc=)[^>]*>"#)
        let handler = try Regex(#"\son[a-z]+\s*="#).ignoresCase()
        let style = try Regex(#"(\sstyle\s*=|<style\b)"#).ignoresCase()
        for page in pages {
            let html = try String(contentsOf: folder.appendingPathComponent(page), encoding: .utf8)
            #expect(html.firstMatch(of: inlineScript) == nil, "inline <script> in \(page)")
            #expect(html.firstMatch(of: handler) == nil, "inline event handler in \(page)")
            #expect(html.firstMatch(of: style) == nil, "inline style in \(page)")
        }
    }

    /// The console's country list (Public/js/countries.js) is the server's, so the form
    /// offers exactly the codes KYC validation accepts.
    @Test func test_consoleCountryCodes_matchTheServersList() throws {
        let script = try String(contentsOf: Self.root.appendingPathComponent("Public/js/countries.js"), encoding: .utf8)
        let pair = try Regex(#"\["([A-Z]{2})", "#)
        let codes = script.matches(of: pair).compactMap { $0.output[1].substring.map(String.init) }
        #expect(codes.count == Set(codes).count, "a code is listed twice")
        #expect(Set(codes) == Set(KYCSessionController.countries.map(\.code)))
    }

    /// Scripts build the DOM from text nodes only and set no inline style: a name or a server
    /// message can never become markup, and nothing needs a looser CSP.
    @Test func test_scripts_neverParseMarkupOrEvalOrSetInlineStyles() throws {
        let folder = Self.root.appendingPathComponent("Public")
        let files = try #require(FileManager.default.enumerator(atPath: folder.path)).compactMap { $0 as? String }
        let scripts = files.filter { $0.hasSuffix(".js") }
        #expect(scripts.contains("kyc.js"))
        let forbidden = ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", ".style.", "\"style\""]
        for script in scripts {
            let text = try String(contentsOf: folder.appendingPathComponent(script), encoding: .utf8)
            for word in forbidden {
                #expect(!text.contains(word), "\(script) uses \(word)")
            }
        }
    }
}
