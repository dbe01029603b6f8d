import DockerEngine
import Foundation
import HTTPTransport
import TestSupport
import Testing

/// Concurrent first requests on a fresh client against the real engine: they all succeed in the
/// negotiated version, and the engine sees one `/_ping` for them. The requests go through the real
/// `CurlTransport`; a `SpyTransport` only records what passes through it. Read-only: nothing is created.
@Suite("Docker engine, for real: API version negotiation", .requiresEngine)
struct NegotiationIntegrationTests {
    static func freshClient() async throws -> (DockerEngine.Client, SpyTransport) {
        _ = try await TestEngine.client()  // fails with the reason when no engine answers
        let host = try DockerEngine.Host.resolve()
        let transport = SpyTransport(try CurlTransport(endpoint: host.endpoint, options: .init(connectTimeout: .seconds(5))))
        return (DockerEngine.Client(endpoint: host.endpoint, transport: transport), transport)
    }

    /// What a request returned, reduced to something comparable.
    enum Answer: Sendable, Equatable {
        case version(String), info(String?), containers, images, networks
    }

    @Test("20 different first requests started together on a fresh client and its copy all succeed after one ping")
    func concurrentFirstRequests() async throws {
        let (client, transport) = try await Self.freshClient()
        let copy = client
        let results = await withTaskGroup(of: Result<Answer, DockerEngine.Error>.self) { group in
            for index in 0..<20 {
                let engine = index.isMultiple(of: 2) ? client : copy
                group.addTask {
                    do throws(DockerEngine.Error) {
                        switch index % 5 {
                        case 0: return .success(.version(try await engine.version().apiVersion))
                        case 1: return .success(.info(try await engine.info().osType))
                        case 2: _ = try await engine.listContainers(all: true); return .success(.containers)
                        case 3: _ = try await engine.listImages(); return .success(.images)
                        default: _ = try await engine.listNetworks(); return .success(.networks)
                        }
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var results: [Result<Answer, DockerEngine.Error>] = []
            for await result in group { results.append(result) }
            return results
        }
        #expect(results.count == 20)
        for case .failure(let error) in results {
            Issue.record("a first request failed: \(error)")
        }
        let answers = results.compactMap { try? $0.get() }
        #expect(answers.filter { $0 == .info("linux") }.count == 4)

        #expect(transport.count(of: "/_ping") == 1, "pings: \(transport.count(of: "/_ping"))")
        let negotiated = try await copy.apiVersion()
        let engineVersion = try #require(answers.lazy.compactMap { if case .version(let version) = $0 { version } else { nil } }.first)
        #expect(negotiated == min(try #require(DockerEngine.APIVersion(engineVersion)), DockerEngine.APIVersion.maximumSupported))
        let requests = transport.paths.filter { $0 != "/_ping" }
        #expect(requests.count == 20)
        #expect(requests.allSatisfy { $0.hasPrefix("/v\(negotiated)/") }, "\(requests)")
        #expect(transport.count(of: "/_ping") == 1, "the negotiated version was not kept")
    }
}
