import Foundation
import Testing

@testable import DockerEngine

@Suite("DockerEngine.APIVersion")
struct APIVersionTests {
    @Test(
        "versions parse and compare numerically",
        arguments: [("1.41", true), ("1.9", true), ("2.0", true), ("1", false), ("1.x", false), ("", false), ("1.41.2", false)])
    func parse(_ text: String, valid: Bool) {
        #expect((DockerEngine.APIVersion(text) != nil) == valid)
    }

    @Test("1.9 sorts before 1.41 and 1.56 before 2.0")
    func ordering() throws {
        #expect(try #require(DockerEngine.APIVersion("1.9")) < #require(DockerEngine.APIVersion("1.41")))
        #expect(DockerEngine.APIVersion(1, 56) < DockerEngine.APIVersion(2, 0))
    }

    @Test("an engine in range is spoken to in its own version", arguments: ["1.41", "1.44", "1.47", "1.56"])
    func inRange(_ engine: String) throws {
        let version = try #require(DockerEngine.APIVersion(engine))
        #expect(try DockerEngine.APIVersion.negotiate(engine: version) == version)
    }

    @Test("a newer engine is spoken to in the newest version this client knows", arguments: ["1.57", "1.99", "2.3"])
    func newer(_ engine: String) throws {
        let version = try #require(DockerEngine.APIVersion(engine))
        #expect(try DockerEngine.APIVersion.negotiate(engine: version) == DockerEngine.APIVersion.maximumSupported)
    }

    @Test("an older engine is refused with the supported range in the message", arguments: ["1.40", "1.24", "0.9"])
    func older(_ engine: String) throws {
        let version = try #require(DockerEngine.APIVersion(engine))
        let error = #expect(throws: DockerEngine.Error.self) { try DockerEngine.APIVersion.negotiate(engine: version) }
        guard case .unsupportedAPIVersion(let reported, _)? = error else {
            Issue.record("expected .unsupportedAPIVersion, got \(String(describing: error))")
            return
        }
        #expect(reported == version)
        #expect(error?.description.contains("1.41") == true)
    }
}
