import Compose
import DockerEngine
import Foundation

extension Doctor {
    static func resourceChecks(_ engine: DockerEngine.Client, projects: [ComposeProject]) -> [Check] {
        []
    }
}
