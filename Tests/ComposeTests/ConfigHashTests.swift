import Foundation
import Synchronization
import Testing

@testable import Compose

/// Config hashes and per-field hashes are keyed (HMAC-SHA256 under a per-host key), so a label or
/// `config --hash` cannot be tested against a wordlist; they still change with a secret and stay
/// stable under one key.
@Suite("Compose config hash key")
struct ConfigHashTests {
    static func key(_ byte: UInt8) -> ConfigHashKey { ConfigHashKey(bytes: [UInt8](repeating: byte, count: ConfigHashKey.size)) }

    static func grafana(password: String) throws -> ServiceConfig {
        let (project, _) = try Fixture.load(
            """
            services:
              grafana:
                image: grafana/grafana:11.1.0
                environment:
                  GF_SECURITY_ADMIN_USER: admin
                  GF_SECURITY_ADMIN_PASSWORD: \(password)
            """)
        return try #require(project.service(named: "grafana"))
    }

    /// The hashes the old code put in labels: unkeyed SHA-256 of the canonical JSON, FNV-1a per field.
    static func unkeyedHash(_ service: ServiceConfig) -> String { ComposeHash.sha256Hex(service.hashedValue().canonicalJSON()) }

    static func fnv1a(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    @Test("a wordlist of unkeyed hashes does not find the password in the config hash")
    func wordlist() throws {
        let label = try Self.grafana(password: "hunter2").configHash(key: Self.key(7))
        #expect(label.count == 64)
        let guesses = try ["admin", "password", "hunter2", "letmein"].map { try Self.unkeyedHash(Self.grafana(password: $0)) }
        #expect(!guesses.contains(label))
        #expect(label != Self.unkeyedHash(try Self.grafana(password: "hunter2")))
    }

    @Test("the per-field label does not equal an unkeyed hash of the environment")
    func fieldHashes() throws {
        let service = try Self.grafana(password: "hunter2")
        let fields = service.fieldHashes(key: Self.key(7))
        let environment = try #require(service.hashedValue()["environment"]).canonicalJSON()
        let hash = try #require(fields["environment"])
        #expect(hash.count == 16)
        #expect(hash != Self.fnv1a(environment))
        #expect(hash != String(ComposeHash.sha256Hex(environment).prefix(16)))
        #expect(Set(fields.keys) == ["environment", "image", "networks"])
    }

    @Test("a hash changes with the secret and with the key, and not between runs under one key")
    func changesAndStability() throws {
        let key = Self.key(7)
        let a = try Self.grafana(password: "hunter2")
        let again = try Self.grafana(password: "hunter2")
        let changed = try Self.grafana(password: "hunter3")
        #expect(a.configHash(key: key) == again.configHash(key: key))
        #expect(a.fieldHashes(key: key) == again.fieldHashes(key: key))
        #expect(a.configHash(key: key) != changed.configHash(key: key))
        let before = a.fieldHashes(key: key), after = changed.fieldHashes(key: key)
        #expect(before.keys.filter { before[$0] != after[$0] } == ["environment"])
        #expect(a.configHash(key: key) != a.configHash(key: Self.key(8)))
        #expect(a.fieldHashes(key: key)["image"] != a.fieldHashes(key: Self.key(8))["image"])
    }

    @Test("the key file is created once, 0600 in a 0700 directory, and read back after")
    func keyFile() throws {
        let dir = try Fixture.directory([:])
        defer { Fixture.cleanup(dir) }
        let path = dir + "/state/stackpilot/hash.key"
        let first = try ConfigHashKey.loadOrCreate(at: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int) == ConfigHashKey.size)
        let directory = try FileManager.default.attributesOfItem(atPath: dir + "/state/stackpilot")
        #expect((directory[.posixPermissions] as? Int) == 0o700)
        #expect(try ConfigHashKey.loadOrCreate(at: path) == first)
        #expect(first != Self.key(0))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/state/stackpilot") == ["hash.key"])
    }

    @Test("processes racing to create the key agree on one")
    func race() throws {
        let dir = try Fixture.directory([:])
        defer { Fixture.cleanup(dir) }
        let path = dir + "/hash.key"
        let keys = Mutex<[ConfigHashKey]>([])
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            if let key = try? ConfigHashKey.loadOrCreate(at: path) { keys.withLock { $0.append(key) } }
        }
        let all = keys.withLock { $0 }
        #expect(all.count == 16)
        #expect(Set(all.map(\.bytes)).count == 1)
    }

    @Test("a key file others can read is made 0600; a wrong-sized file or a symlink is refused")
    func badKeyFiles() throws {
        let dir = try Fixture.directory([:])
        defer { Fixture.cleanup(dir) }
        let open = dir + "/open.key"
        _ = FileManager.default.createFile(atPath: open, contents: Data(repeating: 1, count: 32), attributes: [.posixPermissions: 0o644])
        #expect(try ConfigHashKey.loadOrCreate(at: open) == Self.key(1))
        #expect((try FileManager.default.attributesOfItem(atPath: open)[.posixPermissions] as? Int) == 0o600)

        let short = dir + "/short.key"
        _ = FileManager.default.createFile(atPath: short, contents: Data(repeating: 1, count: 5))
        #expect(throws: ConfigHashKey.KeyFileError.malformed(path: short)) { try ConfigHashKey.loadOrCreate(at: short) }

        let link = dir + "/link.key"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: open)
        #expect(throws: ConfigHashKey.KeyFileError.malformed(path: link)) { try ConfigHashKey.loadOrCreate(at: link) }
    }

    struct PathCase: Sendable {
        var environment: [String: String]
        var path: String
    }

    @Test(
        "where the host key lives",
        arguments: [
            PathCase(environment: ["STACKPILOT_HASH_KEY_FILE": "/etc/sp/key", "XDG_STATE_HOME": "/s", "HOME": "/h"], path: "/etc/sp/key"),
            PathCase(environment: ["XDG_STATE_HOME": "/s", "HOME": "/h"], path: "/s/stackpilot/hash.key"),
            PathCase(environment: ["XDG_STATE_HOME": "relative", "HOME": "/h"], path: "/h/.local/state/stackpilot/hash.key"),
            PathCase(environment: ["HOME": "/"], path: "/var/lib/stackpilot/hash.key"),
            PathCase(environment: [:], path: "/var/lib/stackpilot/hash.key"),
        ])
    func defaultPath(_ c: PathCase) {
        #expect(ConfigHashKey.defaultPath(environment: c.environment) == c.path)
    }

    @Test("the fallback key is stable per user and differs between users")
    func derived() {
        #expect(ConfigHashKey.derived(uid: 1000) == ConfigHashKey.derived(uid: 1000))
        #expect(ConfigHashKey.derived(uid: 1000) != ConfigHashKey.derived(uid: 1001))
    }
}
