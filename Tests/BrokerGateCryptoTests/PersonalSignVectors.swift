// Fixtures for `PersonalSignTests`: personal_sign signatures made by an independent
// implementation, eth-account 0.14.0 from PyPI (native eth-keys backend), so our Keccak-256,
// EIP-191 digest, RFC 6979 nonces, low-s signing and recovery are all checked against it.
//
// Regenerate (nothing else reads these; the Python is not committed):
//   python3 -m venv /tmp/ethvenv && /tmp/ethvenv/bin/pip install eth-account==0.14.0
//   /tmp/ethvenv/bin/python gen.py   # the script below; paste its output into `all`, then swift format
//
//     import re
//     from eth_account import Account
//     from eth_account.messages import encode_defunct
//     from eth_utils import keccak
//
//     MESSAGES = [
//         "", "hello", "Hello, world!",
//         "BrokerGate wallet verification\nnonce: 3f9c2a7e-1b44-4c59-9d0e-8a61f2b7c0d1",
//         "a", "0x1234", "Ünïcödé: naïve café", "日本語のメッセージ", "emoji 🚀🌕 and math ∑∞≠",
//         "tab\tand\r\nCRLF\n", "x" * 135, "y" * 136, "z" * 137,
//         "The quick brown fox jumps over the lazy dog", "1" * 9 + "0",
//         "long 1 KB: " + ("0123456789abcdef" * 64)[: 1024 - 11],
//         "I agree to the BrokerGate terms.", "\u0000\u0001\u0002 control bytes",
//         "Ethereum Signed Message", "end",
//     ]
//
//     def swift_literal(text):
//         if len(text) > 80 and re.fullmatch(r"[ -~]*", text) and "\\" not in text and '"' not in text:
//             chunks = [text[i : i + 96] for i in range(0, len(text), 96)]
//             return '"""\n' + "\\\n".join(" " * 12 + c for c in chunks) + '\n' + " " * 12 + '"""'
//         out = ""
//         for ch in text:
//             if ch in '"\\':
//                 out += "\\" + ch
//             elif ch == "\n":
//                 out += "\\n"
//             elif ch == "\r":
//                 out += "\\r"
//             elif ch == "\t":
//                 out += "\\t"
//             elif ord(ch) < 0x20:
//                 out += "\\u{%x}" % ord(ch)
//             else:
//                 out += ch
//         return '"' + out + '"'
//
//     for i, text in enumerate(MESSAGES):
//         key = keccak(text=f"brokergate-fixture-{i}").hex()
//         account = Account.from_key(key)
//         signature = "0x" + Account.sign_message(encode_defunct(text=text), key).signature.hex().removeprefix("0x")
//         assert Account.recover_message(encode_defunct(text=text), signature=signature) == account.address
//         print(f'    .init(\n        privateKeyHex: "{key}",')
//         print(f"        message: {swift_literal(text)},")
//         print(f'        signatureHex: "{signature[:66]}"\n            + "{signature[66:]}",')
//         print(f'        address: "{account.address}"),')

/// One wallet signature: a key, the text it signed with `personal_sign`, the 65-byte
/// signature eth-account produced, and the key's EIP-55 address.
struct PersonalSignVector: Sendable {
    let privateKeyHex: String
    let message: String
    let signatureHex: String
    let address: String
}

enum PersonalSignVectors {
    /// `Account.sign_message(encode_defunct(text=message), private_key)` for 20 messages:
    /// empty, ASCII, UTF-8 (accents, CJK, emoji), control bytes, CRLF, lengths around the
    /// 136-byte Keccak rate and 1 KB. Keys are keccak256("brokergate-fixture-<i>").
    static let all: [PersonalSignVector] = [
        .init(
            privateKeyHex: "cf9b792e853ebb101477768733e0348b6fc4b0c95c268090fec6a515e0ccf424",
            message: "",
            signatureHex: "0x4d5fcbf5563ef0163947aa0ddf1641601484f5af8965e20e2e8cdeaef73ba82d"
                + "060db2cd7216c7f49c6c08fef91c8979d367ed01ac32272b9315ed0898fea7cb1b",
            address: "0x340DCA09414d91b1F6f072289AF671168BC56f17"),
        .init(
            privateKeyHex: "df759926b1e792bbb97a3ebcb9105ed2e4ca13a1d0695e64cf816ae9d0307290",
            message: "hello",
            signatureHex: "0xcc56b5bdbff37fd72ac7b46b0994681b9ef2b251d013593c7ebc4a13db76e732"
                + "74026ab58ef4e980576f1436e97918ddcd3307bc0b3c4e965c35ad38f4fdf31e1b",
            address: "0xD789Dbd679E6923068eD45f678aab72e099D0692"),
        .init(
            privateKeyHex: "0deae0e4d16a7d37365f5a5a78b183d7860bc2b26753c06a687262678975b097",
            message: "Hello, world!",
            signatureHex: "0x24fcd7fab758a8a60c169caaaca04d52ad01f766221f4d6a17275214eabac91d"
                + "620ccbc9b135f4d3ccee47ab9a40d5ac7cb55a92d7a23854809f4ec633ae05911b",
            address: "0x21BE3f62ED4b695AA41AeDEf0b1412383d113574"),
        .init(
            privateKeyHex: "e594cf9b9633165334ae2a1d6266b85e5bd0871a34830789f9d0a6b2eb6581ef",
            message: "BrokerGate wallet verification\nnonce: 3f9c2a7e-1b44-4c59-9d0e-8a61f2b7c0d1",
            signatureHex: "0xcca0c5c0d220032456651d79814769307ff3a4973b4a2c53b6a4698937d7f49d"
                + "5a1e8d55fe897c8d8e3abaee77d9aa1b97914a5fb4e89492cf1f8fefbf85ce781b",
            address: "0xa35c69cE4e6bA3Ee5c614Ff94372723dd55086fD"),
        .init(
            privateKeyHex: "f341f9066100ef8c6e22756d1735b41b5308ba106b93ebdc75517cbceb8efe6e",
            message: "a",
            signatureHex: "0xcff71023831a4dc80ca7ce441d4254670c94a0c9b36fb093b086f02cc8ca3c94"
                + "3234ad8fb94d9fb6efa771f59893dd6f1ecf9ffd72829acf3e1dd975c9c4122c1b",
            address: "0x17Fe859DA43957D0eFea9d839de086c35cc07f91"),
        .init(
            privateKeyHex: "7996cd43a2ba2718d13ad808679f2596e8943531d363efbadf622172e7f2b18c",
            message: "0x1234",
            signatureHex: "0x946c6501e23b7ed03b37c3df0d9f0ff0eeaf7baccda1d4b61ed48d40e64ff8ec"
                + "0fd8717989342eec28cd98766e2e8a9904fa45eebab2dc05be07518920fc3ea61c",
            address: "0xc7CEF5F2C2994c1869405f4f2C69078E93A2b630"),
        .init(
            privateKeyHex: "b9b237f122b077f7f21dfe7d90c3d82acf91215724ca68ef257e288e540fa230",
            message: "Ünïcödé: naïve café",
            signatureHex: "0xecdb890a0365e29d83f17a00dd0daf26acaebbb5eff533e22ff7a3dd11448830"
                + "311045c82ba6d0dfae3a89933666ec526a0ff309bcfaf16db1a43034060ba8001c",
            address: "0x20E3875Ea0C88D8B963f29729dB9EbF705379A9d"),
        .init(
            privateKeyHex: "1a1f0617695bd78c39e91833eee27f02b5df57184fee1e7169e6d81a565b377f",
            message: "日本語のメッセージ",
            signatureHex: "0x06d178872602eea34b3508f563a9866bb0bf5aba092b2d02848a5c21aae63aec"
                + "352140a4bbf597e078c302ef6474bd2740423c5a828e3debe205cc572daa09641b",
            address: "0x98C6fF27aEe14a3EB397AD75aF453d70e2EBD841"),
        .init(
            privateKeyHex: "d7bec5b8107c9d74df7fee11b261af4fabec675a205c2bb6a2aec9c1edf340f6",
            message: "emoji 🚀🌕 and math ∑∞≠",
            signatureHex: "0xab4a1887e7fed1868bfde9c0b6f3c6568478af1a8dbaf15b875994c13eab9cac"
                + "244870fffe69d2a4b9fd696429103758ea4e531922581025cff5d567101d877a1c",
            address: "0x4690ddd1E9c3bEF29f32F3Eb1045e8D8e57d5af0"),
        .init(
            privateKeyHex: "a601b9a18774cf6cff9aa9e906f503d9da5171cf7ebdef5c8ccf56c5a43c5b52",
            message: "tab\tand\r\nCRLF\n",
            signatureHex: "0x4567a48345bbed207663c06f314647e95824d8d9689ed0bda82abd0afbb826d7"
                + "29043a8ecd2614ad5e86179842ba4f7a5a34b09d1a8379734811f0cceab4a7921b",
            address: "0x128Da3b0E9bBE7ED4810fcF5DC79cc53Cd700963"),
        .init(
            privateKeyHex: "99a072f78265f9dff8b04ea2ec98b0a17ec53b271f06ff1988e215dee9f5f12b",
            message: """
                xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
                xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
                """,
            signatureHex: "0xad804907b3534631c9057903fc9abfa8c097d5e54e834463cc4f1f8f33ac3fc8"
                + "2c1ef79957c85063c03020efbf1836580a9b7a52bb0ec8fe9906f39831543d551c",
            address: "0x3dE80D914207f185025FC4601146111cc0124ed5"),
        .init(
            privateKeyHex: "3059c4431540060264ce5ced3ecd1bca54cc426d9eade86424e1ec8dce0f0a9a",
            message: """
                yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
                yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy
                """,
            signatureHex: "0x65598c39c10626afda4a44d5dbae5ad8df818b1038fb6afc2de574e33c77f3cf"
                + "32656bf9a8d4c760ad86061a3e491bd82759f39e5b38097848fb353f8d329f1f1c",
            address: "0x362488B7A1aC9090B142736A6c8fb9eb3E75899D"),
        .init(
            privateKeyHex: "73478a10eade4442dac1ddacca73a68ee9445238d268d4c8be9d6dabd1686805",
            message: """
                zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\
                zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz
                """,
            signatureHex: "0x1b211f8904e30ad2f3a05532e59be2f05f1ab1778ae3667f591b54aaf6491478"
                + "6de3f7f8e23a656fc76d16a310636823dd92a86783a3a853d8622f664ab349f21c",
            address: "0xE52621AdEc4bCE3fAFAb7B38a8F6D0Bf0Ab129d4"),
        .init(
            privateKeyHex: "8450d6f368cb1836459c92a57cf5cc1c2bd76c202fb93ec2e582ee5e186d762a",
            message: "The quick brown fox jumps over the lazy dog",
            signatureHex: "0xe8d055195d994f439e7e3d2d8e38c0e106e8f34c81fbbb1a55315d0cc89ffa97"
                + "47ba5906dd9284120a54ad6565cedd1b09c96696f46fe7b6087521db8ab9325f1c",
            address: "0xaCE489187d9b8b2f28a66Cf74a73264a807066C1"),
        .init(
            privateKeyHex: "a47f8b5086e8861f271d9426c333c1941c2c179eab5ec9386660186b62f041bb",
            message: "1111111110",
            signatureHex: "0x5ca1445ea0d70723e021ddc66875ed93e177a44c59aabfd1ae7bfe2fa8a9ddf4"
                + "0579fa59cee0033ec9f9b1897faaecd34501be95ce49ebf2568ba9116d070ea51c",
            address: "0x38912db9Aa99Ab4a96b7f8072853b28dA6c90048"),
        .init(
            privateKeyHex: "92b4165c9eeeeaee6e78fd0e886c2c6c00e1a7678b95f716ecf1a986fd14f7c9",
            message: """
                long 1 KB: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234\
                56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234\
                56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234\
                56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234\
                56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234\
                56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234\
                56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234\
                56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234\
                56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234\
                56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234\
                56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234
                """,
            signatureHex: "0xc9d4fbd1ea3ba21bc4b1f83a881d5fcfaf009bcf7f9cf4164e8f5ff95e097de8"
                + "47019a7504103ef939a33b1942b09457d00d9169434ab18c9751013a1dc672451c",
            address: "0x1AE221261bE7a3B74AbbedA65d5655fEB1DE9Ab5"),
        .init(
            privateKeyHex: "33fa5dfb27b0190d61b40ae07526e4f8e7f00481ed5540ee615d234addb62713",
            message: "I agree to the BrokerGate terms.",
            signatureHex: "0xdc32674c3f1fd4590aa5b9824d2c01f877e4fb1cd5c57f516f8a875e5399947d"
                + "23aab61a9de2e45db37dc01e107c03a511ad2d53a91d730a2816e3262dd4d56b1c",
            address: "0x38a775662170ca803E69478A98CA15fE6a1c0d7D"),
        .init(
            privateKeyHex: "853c3440b8db8368c0164e1660360561b78eae39af17d28c1e4e18aa93c5714f",
            message: "\u{0}\u{1}\u{2} control bytes",
            signatureHex: "0xa2f1b11691ff82aac6515e3a629242f3f904b21e530eac91fb4f44822d099008"
                + "71ba2502ad033427a321f4da5c9e96fef5c9f008a18b4cfbe4f715b7bde658111b",
            address: "0xa8E4F34F383f471518d0754c2dc022E0e98D33F6"),
        .init(
            privateKeyHex: "2f9543ce0c625d8277858e6326b97c5c6c5168a1ddd529955f4430d93fcb3e0e",
            message: "Ethereum Signed Message",
            signatureHex: "0xf0659677da3e0aad367823fb9f47a637d105cf140d4654539cf21070eca1f052"
                + "46118b55ef73388adf3c9c9936ab7d1f2686c4db0a0fd912bbdea459eadc04671b",
            address: "0x32125C85a9BEACb300aB5182835d57DD60977e8D"),
        .init(
            privateKeyHex: "edb58e5e21f9dbee78cb5946531f98642da04dc665238dcde6b627e109704160",
            message: "end",
            signatureHex: "0x4706159d99ec5f13f8e7ba9c6dc0254ec2edd45ba75b600d9953c5bb76fd9975"
                + "32f09622922f3fe91c8a31473d162cb15abb2bb7e08c02ed5dabf5054408d3351c",
            address: "0xDFcCBd9447cfd37b56Dd5E693dbFFf2Ef0C9FD95"),
    ]
}
