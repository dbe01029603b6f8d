import Foundation
import Testing

@testable import Compose

/// `stackpilot config` masks secrets by value: every row is a way a secret reached the output past
/// the old name-based redaction (environment and build args whose names contained PASSWORD, TOKEN, ...).
@Suite("Compose redaction")
struct RedactionTests {
    struct Bypass: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var extra: [String: String] = [:]
        var environment: [String: String] = [:]
        /// Must appear nowhere in the YAML or JSON output.
        var secret: String
        var testDescription: String { name }
    }

    static let head = "services:\n  a:\n    image: busybox\n"

    static let bypasses: [Bypass] = [
        Bypass(
            name: "a .env value interpolated into command", yaml: head + "    command: [\"echo\", \"${GREETING}\"]\n",
            extra: [".env": "GREETING=hunter2-from-dotenv\n"], secret: "hunter2-from-dotenv"),
        Bypass(
            name: "a secret-named shell variable inside a label", yaml: head + "    labels:\n      note: \"token ${API_TOKEN} here\"\n",
            environment: ["API_TOKEN": "tok-1234567"], secret: "tok-1234567"),
        Bypass(
            name: "MYSQL_PWD inside a healthcheck", yaml: head + "    healthcheck:\n      test: [\"CMD-SHELL\", \"mysqladmin -p${MYSQL_PWD} ping\"]\n",
            environment: ["MYSQL_PWD": "pwd-value-1"], secret: "pwd-value-1"),
        Bypass(
            name: "a .env value in extra_hosts", yaml: head + "    extra_hosts:\n      - \"${HIDDEN_HOST}:10.0.0.1\"\n",
            extra: [".env": "HIDDEN_HOST=corp-secret-host\n"], secret: "corp-secret-host"),
        Bypass(name: "DB_PASS in environment", yaml: head + "    environment:\n      DB_PASS: literal-pass-1\n", secret: "literal-pass-1"),
        Bypass(name: "MYSQL_PWD in environment", yaml: head + "    environment:\n      MYSQL_PWD: literal-pwd-2\n", secret: "literal-pwd-2"),
        Bypass(
            name: "DATABASE_URL with a password", yaml: head + "    environment:\n      DATABASE_URL: postgres://app:url-pass-3@db:5432/app\n",
            secret: "url-pass-3"),
        Bypass(name: "NPM_AUTH in environment", yaml: head + "    environment:\n      NPM_AUTH: npm-auth-4\n", secret: "npm-auth-4"),
        Bypass(
            name: "an env_file value under a plain name", yaml: head + "    env_file: [app.env]\n",
            extra: ["app.env": "PLAIN_NAME=from-env-file-5\n"], secret: "from-env-file-5"),
        Bypass(
            name: "an env_file value reused in command", yaml: head + "    env_file: [app.env]\n    command: [\"--seed\", \"${SEED}\"]\n",
            extra: ["app.env": "SEED=seed-value-6\n", ".env": "SEED=seed-value-6\n"], secret: "seed-value-6"),
        Bypass(
            name: "a secrets: file content reused elsewhere",
            yaml: head + "    secrets: [db]\n    environment:\n      INIT: ${DB_INIT}\nsecrets:\n  db:\n    file: ./db_password.txt\n",
            extra: ["db_password.txt": "file-secret-7\n"], environment: ["DB_INIT": "file-secret-7"], secret: "file-secret-7"),
        Bypass(
            name: "a secrets: environment source reused in a label",
            yaml: head + "    secrets: [s]\n    labels:\n      x: \"${UPSTREAM_VALUE}\"\nsecrets:\n  s:\n    environment: UPSTREAM_VALUE\n",
            environment: ["UPSTREAM_VALUE": "env-secret-8"], secret: "env-secret-8"),
        Bypass(
            name: "a build arg named AUTH", yaml: "services:\n  a:\n    build:\n      context: .\n      args:\n        REGISTRY_AUTH: build-auth-10\n",
            secret: "build-auth-10"),
        Bypass(
            name: "an inline assignment in command", yaml: head + "    command: [\"sh\", \"-c\", \"PGPASSWORD=inline-11 psql -h db\"]\n", secret: "inline-11"),
        Bypass(name: "a secret flag followed by its value", yaml: head + "    command: [\"--db-password\", \"flag-12\"]\n", secret: "flag-12"),
        Bypass(name: "a secret flag with =", yaml: head + "    entrypoint: [\"app\", \"--api-key=flag-eq-13\"]\n", secret: "flag-eq-13"),
        Bypass(
            name: "a URL password in a label", yaml: head + "    labels:\n      upstream: \"https://user:label-url-14@example.com/x\"\n",
            secret: "label-url-14"),
        Bypass(name: "a secret-named label", yaml: head + "    labels:\n      com.example.auth-token: label-tok-15\n", secret: "label-tok-15"),
        Bypass(
            name: "a secret-named value repeated in command",
            yaml: head + "    environment:\n      API_SECRET: reused-16\n    command: [\"echo\", \"reused-16\"]\n",
            secret: "reused-16"),
        Bypass(
            name: "a secret-named value in an x- extension", yaml: head + "    x-notes: \"deploy with ${CI_JOB_TOKEN}\"\n",
            environment: ["CI_JOB_TOKEN": "ci-token-17"], secret: "ci-token-17"),
    ]

    static func rendered(_ project: ComposeProject) throws -> String {
        let value = project.redactedPlainValue()
        return value.prettyJSON() + "\n" + (try value.yaml())
    }

    @Test("every bypass of the name-based redaction is masked in YAML and JSON", arguments: bypasses)
    func bypassIsMasked(_ c: Bypass) throws {
        let (project, _) = try Fixture.load(c.yaml, extra: c.extra, environment: c.environment)
        // The secret is really there unmasked, so the row tests something.
        #expect(project.plainValue().prettyJSON().contains(c.secret))
        let text = try Self.rendered(project)
        #expect(!text.contains(c.secret))
        #expect(text.contains(Redaction.marker))
    }

    @Test("a *_FILE variable's file content is masked where it appears")
    func starFile() throws {
        let dir = try Fixture.directory(["pw.txt": "star-file-9\n"])
        defer { Fixture.cleanup(dir) }
        let (project, _) = try Fixture.load(
            Self.head + "    command: [\"run\", \"${COPY}\"]\n",
            environment: ["ADMIN_PASSWORD_FILE": dir + "/pw.txt", "COPY": "star-file-9"])
        #expect(!(try Self.rendered(project)).contains("star-file-9"))
    }

    @Test("env_file: /proc/self/environ does not print the process environment")
    func procEnviron() throws {
        guard let raw = FileManager.default.contents(atPath: "/proc/self/environ") else { return }
        let values = String(decoding: raw, as: UTF8.self).split(separator: "\0").compactMap { entry -> String? in
            guard let eq = entry.firstIndex(of: "=") else { return nil }
            let value = String(entry[entry.index(after: eq)...])
            return value.count >= 8 && !value.contains("/") ? value : nil  // paths may legitimately appear (the project directory)
        }
        do {
            let (project, _) = try Fixture.load(Self.head + "    env_file: [/proc/self/environ]\n")
            let text = try Self.rendered(project)
            for value in values { #expect(!text.contains(value)) }
        } catch let error as ComposeError {
            for value in values { #expect(!error.description.contains(value)) }
        }
    }

    struct Kept: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var extra: [String: String] = [:]
        var environment: [String: String] = [:]
        /// Must still appear in the output.
        var shown: String
        var testDescription: String { name }
    }

    static let kept: [Kept] = [
        Kept(
            name: "an image name from .env", yaml: "services:\n  a:\n    image: ${APP_IMAGE}\n",
            extra: [".env": "APP_IMAGE=registry.local/app:1.2\n"], shown: "registry.local/app:1.2"),
        Kept(name: "a port from .env", yaml: head + "    ports: [\"127.0.0.1:${WEB_PORT}:80\"]\n", extra: [".env": "WEB_PORT=8088\n"], shown: "8088"),
        Kept(name: "a literal plain value", yaml: head + "    environment:\n      LOG_LEVEL: info\n", shown: "info"),
        Kept(
            name: "a plain shell variable (compose prints it)", yaml: head + "    environment:\n      REGION: ${REGION}\n",
            environment: ["REGION": "eu-west-1"], shown: "eu-west-1"),
        Kept(
            name: "a short env_file value is masked in its own field only", yaml: head + "    env_file: [app.env]\n    ports: [\"127.0.0.1:8081:80\"]\n",
            extra: ["app.env": "DEBUG=1\n"], shown: "127.0.0.1"),
        Kept(
            name: "a boolean env_file value is masked in its own field only",
            yaml: head + "    env_file: [app.env]\n    environment:\n      SIGN_UP: \"false\"\n",
            extra: ["app.env": "FEATURE=false\n"], shown: "\"SIGN_UP\": \"false\""),
        Kept(
            name: "a secret-looking compose key is not a secret", yaml: head + "    secrets: [db]\nsecrets:\n  db:\n    file: ./db.txt\n",
            extra: ["db.txt": "x-secret-content\n"], shown: "db.txt"),
    ]

    @Test("plain configuration stays readable", arguments: kept)
    func keptValue(_ c: Kept) throws {
        let (project, _) = try Fixture.load(c.yaml, extra: c.extra, environment: c.environment)
        #expect(try Self.rendered(project).contains(c.shown))
    }

    @Test("an env_file entry is masked whole in its own field, however short")
    func envFileField() throws {
        let (project, _) = try Fixture.load(Self.head + "    env_file: [app.env]\n", extra: ["app.env": "DEBUG=1\nNAME=x\n"])
        let environment = project.redactedPlainValue()["services"]?["a"]?["environment"]
        #expect(environment == .object([.init("DEBUG", .string(Redaction.marker)), .init("NAME", .string(Redaction.marker))]))
    }

    struct Name: Sendable {
        var name: String
        var secret: Bool
    }

    @Test(
        "names that look secret",
        arguments: [
            Name(name: "DB_PASS", secret: true), Name(name: "MYSQL_PWD", secret: true), Name(name: "NPM_AUTH", secret: true),
            Name(name: "GF_SECURITY_ADMIN_PASSWORD", secret: true), Name(name: "AWS_SECRET_ACCESS_KEY", secret: true),
            Name(name: "GOOGLE_APPLICATION_CREDENTIALS", secret: true), Name(name: "TLS_PRIVATE", secret: true),
            Name(name: "SENTRY_DSN", secret: true), Name(name: "api_token", secret: true),
            Name(name: "PWD", secret: false), Name(name: "OLDPWD", secret: false), Name(name: "LOG_LEVEL", secret: false),
            Name(name: "DATABASE_URL", secret: false), Name(name: "HOME", secret: false),
        ])
    func names(_ c: Name) {
        #expect(Redaction.looksSecret(c.name) == c.secret)
    }

    @Test("a project never encodes its sensitive values")
    func notEncoded() throws {
        let (project, _) = try Fixture.load(Self.head + "    environment:\n      DB_PASS: never-encoded-1\n")
        #expect(project.sensitiveValues.values.contains("never-encoded-1"))
        let data = try JSONEncoder().encode(project.sensitiveValues)
        #expect(String(decoding: data, as: UTF8.self) == "null")
    }
}

/// Errors quote keys and positions, never the values of env files or interpolated secrets, and
/// control characters from the input are escaped.
@Suite("Compose error hygiene")
struct ErrorHygieneTests {
    @Test("a bad .env line is reported by position without its text")
    func pemInDotEnv() throws {
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bqXk+9/abcDEF==\nq2Vt7Zk+LmNoPqRsTuV/x\n-----END RSA PRIVATE KEY-----\n"
        let (diagnostics, dir) = try Fixture.diagnostics(RedactionTests.head, extra: [".env": "GOOD=1\n" + pem])
        #expect(diagnostics.map(\.line) == [2, 3, 4, 5])
        #expect(diagnostics.allSatisfy { $0.file == dir + "/.env" })
        let text = ComposeError.invalid(diagnostics).description
        for line in pem.split(separator: "\n") {
            #expect(!text.contains(line))
        }
        #expect(!text.contains("MIIEpAIBAAKCAQEA") && !text.contains("q2Vt7Zk+LmNoPqRsTuV"))
    }

    @Test("an env_file that is not one (/etc/passwd) is reported without its lines")
    func passwdAsEnvFile() throws {
        guard let passwd = try? String(contentsOfFile: "/etc/passwd", encoding: .utf8) else { return }
        let (diagnostics, _) = try Fixture.diagnostics(RedactionTests.head + "    env_file: [/etc/passwd]\n")
        #expect(!diagnostics.isEmpty)
        let text = ComposeError.invalid(diagnostics).description
        for line in passwd.split(separator: "\n") where line.contains(":") {
            #expect(!text.contains(line))
        }
        #expect(!text.contains("root:x"))
    }

    @Test("a broken interpolation in a .env value names the key, not the value")
    func interpolationInDotEnv() throws {
        let (diagnostics, _) = try Fixture.diagnostics(RedactionTests.head, extra: [".env": "DB_PASSWORD=\"s3cret${oops\"\n"])
        let d = try #require(diagnostics.first)
        #expect(d.line == 1)
        #expect(d.message.hasPrefix("DB_PASSWORD: "))
        #expect(!d.description.contains("s3cret") && !d.description.contains("oops"))
    }

    @Test("an interpolated secret quoted by a validation error is masked")
    func interpolatedSecretInError() throws {
        let (fromShell, _) = try Fixture.diagnostics(
            RedactionTests.head + "    ports: [\"${DB_PASSWORD}\"]\n",
            environment: ["DB_PASSWORD": "err-secret-1"])
        #expect(!fromShell.isEmpty && fromShell.allSatisfy { !$0.description.contains("err-secret-1") })
        let (fromDotEnv, _) = try Fixture.diagnostics(RedactionTests.head + "    restart: ${POLICY}\n", extra: [".env": "POLICY=err-secret-2\n"])
        #expect(!fromDotEnv.isEmpty && fromDotEnv.allSatisfy { !$0.description.contains("err-secret-2") })
    }

    @Test("control characters quoted from the input are escaped", arguments: ["\u{1B}[2J", "\u{1B}]0;owned\u{07}", "a\u{202E}b", "x\u{9B}31m"])
    func controlCharacters(_ payload: String) throws {
        let yamlKey = payload.unicodeScalars.map {
            $0.value < 0x20 || ($0.value >= 0x7F && $0.value <= 0x9F) || $0.value == 0x202E
                ? String(format: "\\u%04X", $0.value) : String($0)
        }.joined()
        let (diagnostics, _) = try Fixture.diagnostics(RedactionTests.head + "    \"k\(yamlKey)\": 1\n")
        let d = try #require(diagnostics.first)
        #expect(d.message.unicodeScalars.contains { Printable.needsEscape($0) })  // the raw key is kept in the value
        #expect(!d.description.unicodeScalars.contains { Printable.needsEscape($0) })
        #expect(!ComposeError.invalid(diagnostics).description.unicodeScalars.contains { $0 != "\n" && Printable.needsEscape($0) })
    }

    @Test(
        "Printable escapes control characters and leaves the rest",
        arguments: [
            ("plain text: ok", "plain text: ok"), ("a\nb", "a\\nb"), ("\u{1B}[31m", "\\u{1B}[31m"), ("tab\there", "tab\\there"),
            ("\u{7F}", "\\u{7F}"), ("r\u{202E}l", "r\\u{202E}l"), ("ünïcødé", "ünïcødé"),
        ])
    func printable(_ input: String, _ expected: String) {
        #expect(Printable.escaping(input) == expected)
    }
}
