import ArgumentParser
import LambentCLI

@main
struct Lambent {
    static func main() async {
        await LambentCommand.main(nil)
    }
}
