import Testing

@testable import brokergate

/// `--otel-endpoint` and its siblings: what a binary with or without the OTel trait accepts.
struct TraceSettingTests {
    func setting(endpoint: String? = nil, name: String? = nil, ratio: String? = nil, env: [String: String] = [:]) throws -> TraceSetting {
        try TraceSetting(endpoint: endpoint, serviceName: name, sampleRatio: ratio, environment: env)
    }

    func refusal(_ make: () throws -> TraceSetting) -> String {
        do {
            _ = try make()
            return "accepted"
        } catch let error as ConfigurationError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func test_noEndpoint_isTracingOff_withTheDefaults() throws {
        let off = try setting()
        #expect(off.endpoint == nil && off.serviceName == "brokergate" && off.sampleRatio == 1)
        #expect(off.loggingMetadataProvider == nil && "\(off)" == "off")
    }

    @Test func test_endpoint_needsTheOTelTrait_elseIsRefusedNamingTheBuild() throws {
        let endpoint = "http://127.0.0.1:4318/v1/traces"
        if TraceSetting.isCompiledIn {
            #expect(try setting(env: ["BROKERGATE_OTEL_ENDPOINT": endpoint]).endpoint == endpoint)
        } else {
            let message = refusal { try setting(endpoint: endpoint) }
            #expect(message.contains("built without") && message.contains("--traits OTel"), "\(message)")
        }
    }

    @Test func test_badValues_areRefusedNamingTheFlag() {
        #expect(refusal { try setting(name: "two words") }.contains("--otel-service-name"))
        #expect(refusal { try setting(name: "") }.contains("--otel-service-name"))
        #expect(refusal { try setting(ratio: "1.5") }.contains("--otel-sample-ratio"))
        #expect(refusal { try setting(env: ["BROKERGATE_OTEL_SAMPLE_RATIO": "half"]) }.contains("--otel-sample-ratio"))
        if TraceSetting.isCompiledIn {
            #expect(refusal { try setting(endpoint: "127.0.0.1:4318") }.contains("must be an http(s) URL"))
            #expect(refusal { try setting(endpoint: "ftp://collector/v1/traces") }.contains("must be an http(s) URL"))
        }
    }
}
