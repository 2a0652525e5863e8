/* crc64: tables from tools/gen_crc64_tables.py (which also checks a
 * bit-exact model of the folding path below against a bitwise CRC). */
#include "base/internal.h"
#include "check/crc.h"
#include "check/crc64.h"

#ifndef EP_NO_REDIS

static const uint64_t ep__crc64_table[8][256] = {
    {
        0x0000000000000000ull, 0x7ad870c830358979ull, 0xf5b0e190606b12f2ull, 0x8f689158505e9b8bull,
        0xc038e5739841b68full, 0xbae095bba8743ff6ull, 0x358804e3f82aa47dull, 0x4f50742bc81f2d04ull,
        0xab28ecb46814fe75ull, 0xd1f09c7c5821770cull, 0x5e980d24087fec87ull, 0x24407dec384a65feull,
        0x6b1009c7f05548faull, 0x11c8790fc060c183ull, 0x9ea0e857903e5a08ull, 0xe478989fa00bd371ull,
        0x7d08ff3b88be6f81ull, 0x07d08ff3b88be6f8ull, 0x88b81eabe8d57d73ull, 0xf2606e63d8e0f40aull,
        0xbd301a4810ffd90eull, 0xc7e86a8020ca5077ull, 0x4880fbd87094cbfcull, 0x32588b1040a14285ull,
        0xd620138fe0aa91f4ull, 0xacf86347d09f188dull, 0x2390f21f80c18306ull, 0x594882d7b0f40a7full,
        0x1618f6fc78eb277bull, 0x6cc0863448deae02ull, 0xe3a8176c18803589ull, 0x997067a428b5bcf0ull,
        0xfa11fe77117cdf02ull, 0x80c98ebf2149567bull, 0x0fa11fe77117cdf0ull, 0x75796f2f41224489ull,
        0x3a291b04893d698dull, 0x40f16bccb908e0f4ull, 0xcf99fa94e9567b7full, 0xb5418a5cd963f206ull,
        0x513912c379682177ull, 0x2be1620b495da80eull, 0xa489f35319033385ull, 0xde51839b2936bafcull,
        0x9101f7b0e12997f8ull, 0xebd98778d11c1e81ull, 0x64b116208142850aull, 0x1e6966e8b1770c73ull,
        0x8719014c99c2b083ull, 0xfdc17184a9f739faull, 0x72a9e0dcf9a9a271ull, 0x08719014c99c2b08ull,
        0x4721e43f0183060cull, 0x3df994f731b68f75ull, 0xb29105af61e814feull, 0xc849756751dd9d87ull,
        0x2c31edf8f1d64ef6ull, 0x56e99d30c1e3c78full, 0xd9810c6891bd5c04ull, 0xa3597ca0a188d57dull,
        0xec09088b6997f879ull, 0x96d1784359a27100ull, 0x19b9e91b09fcea8bull, 0x636199d339c963f2ull,
        0xdf7adabd7a6e2d6full, 0xa5a2aa754a5ba416ull, 0x2aca3b2d1a053f9dull, 0x50124be52a30b6e4ull,
        0x1f423fcee22f9be0ull, 0x659a4f06d21a1299ull, 0xeaf2de5e82448912ull, 0x902aae96b271006bull,
        0x74523609127ad31aull, 0x0e8a46c1224f5a63ull, 0x81e2d7997211c1e8ull, 0xfb3aa75142244891ull,
        0xb46ad37a8a3b6595ull, 0xceb2a3b2ba0eececull, 0x41da32eaea507767ull, 0x3b024222da65fe1eull,
        0xa2722586f2d042eeull, 0xd8aa554ec2e5cb97ull, 0x57c2c41692bb501cull, 0x2d1ab4dea28ed965ull,
        0x624ac0f56a91f461ull, 0x1892b03d5aa47d18ull, 0x97fa21650afae693ull, 0xed2251ad3acf6feaull,
        0x095ac9329ac4bc9bull, 0x7382b9faaaf135e2ull, 0xfcea28a2faafae69ull, 0x8632586aca9a2710ull,
        0xc9622c4102850a14ull, 0xb3ba5c8932b0836dull, 0x3cd2cdd162ee18e6ull, 0x460abd1952db919full,
        0x256b24ca6b12f26dull, 0x5fb354025b277b14ull, 0xd0dbc55a0b79e09full, 0xaa03b5923b4c69e6ull,
        0xe553c1b9f35344e2ull, 0x9f8bb171c366cd9bull, 0x10e3202993385610ull, 0x6a3b50e1a30ddf69ull,
        0x8e43c87e03060c18ull, 0xf49bb8b633338561ull, 0x7bf329ee636d1eeaull, 0x012b592653589793ull,
        0x4e7b2d0d9b47ba97ull, 0x34a35dc5ab7233eeull, 0xbbcbcc9dfb2ca865ull, 0xc113bc55cb19211cull,
        0x5863dbf1e3ac9decull, 0x22bbab39d3991495ull, 0xadd33a6183c78f1eull, 0xd70b4aa9b3f20667ull,
        0x985b3e827bed2b63ull, 0xe2834e4a4bd8a21aull, 0x6debdf121b863991ull, 0x1733afda2bb3b0e8ull,
        0xf34b37458bb86399ull, 0x8993478dbb8deae0ull, 0x06fbd6d5ebd3716bull, 0x7c23a61ddbe6f812ull,
        0x3373d23613f9d516ull, 0x49aba2fe23cc5c6full, 0xc6c333a67392c7e4ull, 0xbc1b436e43a74e9dull,
        0x95ac9329ac4bc9b5ull, 0xef74e3e19c7e40ccull, 0x601c72b9cc20db47ull, 0x1ac40271fc15523eull,
        0x5594765a340a7f3aull, 0x2f4c0692043ff643ull, 0xa02497ca54616dc8ull, 0xdafce7026454e4b1ull,
        0x3e847f9dc45f37c0ull, 0x445c0f55f46abeb9ull, 0xcb349e0da4342532ull, 0xb1eceec59401ac4bull,
        0xfebc9aee5c1e814full, 0x8464ea266c2b0836ull, 0x0b0c7b7e3c7593bdull, 0x71d40bb60c401ac4ull,
        0xe8a46c1224f5a634ull, 0x927c1cda14c02f4dull, 0x1d148d82449eb4c6ull, 0x67ccfd4a74ab3dbfull,
        0x289c8961bcb410bbull, 0x5244f9a98c8199c2ull, 0xdd2c68f1dcdf0249ull, 0xa7f41839ecea8b30ull,
        0x438c80a64ce15841ull, 0x3954f06e7cd4d138ull, 0xb63c61362c8a4ab3ull, 0xcce411fe1cbfc3caull,
        0x83b465d5d4a0eeceull, 0xf96c151de49567b7ull, 0x76048445b4cbfc3cull, 0x0cdcf48d84fe7545ull,
        0x6fbd6d5ebd3716b7ull, 0x15651d968d029fceull, 0x9a0d8ccedd5c0445ull, 0xe0d5fc06ed698d3cull,
        0xaf85882d2576a038ull, 0xd55df8e515432941ull, 0x5a3569bd451db2caull, 0x20ed197575283bb3ull,
        0xc49581ead523e8c2ull, 0xbe4df122e51661bbull, 0x3125607ab548fa30ull, 0x4bfd10b2857d7349ull,
        0x04ad64994d625e4dull, 0x7e7514517d57d734ull, 0xf11d85092d094cbfull, 0x8bc5f5c11d3cc5c6ull,
        0x12b5926535897936ull, 0x686de2ad05bcf04full, 0xe70573f555e26bc4ull, 0x9ddd033d65d7e2bdull,
        0xd28d7716adc8cfb9ull, 0xa85507de9dfd46c0ull, 0x273d9686cda3dd4bull, 0x5de5e64efd965432ull,
        0xb99d7ed15d9d8743ull, 0xc3450e196da80e3aull, 0x4c2d9f413df695b1ull, 0x36f5ef890dc31cc8ull,
        0x79a59ba2c5dc31ccull, 0x037deb6af5e9b8b5ull, 0x8c157a32a5b7233eull, 0xf6cd0afa9582aa47ull,
        0x4ad64994d625e4daull, 0x300e395ce6106da3ull, 0xbf66a804b64ef628ull, 0xc5bed8cc867b7f51ull,
        0x8aeeace74e645255ull, 0xf036dc2f7e51db2cull, 0x7f5e4d772e0f40a7ull, 0x05863dbf1e3ac9deull,
        0xe1fea520be311aafull, 0x9b26d5e88e0493d6ull, 0x144e44b0de5a085dull, 0x6e963478ee6f8124ull,
        0x21c640532670ac20ull, 0x5b1e309b16452559ull, 0xd476a1c3461bbed2ull, 0xaeaed10b762e37abull,
        0x37deb6af5e9b8b5bull, 0x4d06c6676eae0222ull, 0xc26e573f3ef099a9ull, 0xb8b627f70ec510d0ull,
        0xf7e653dcc6da3dd4ull, 0x8d3e2314f6efb4adull, 0x0256b24ca6b12f26ull, 0x788ec2849684a65full,
        0x9cf65a1b368f752eull, 0xe62e2ad306bafc57ull, 0x6946bb8b56e467dcull, 0x139ecb4366d1eea5ull,
        0x5ccebf68aecec3a1ull, 0x2616cfa09efb4ad8ull, 0xa97e5ef8cea5d153ull, 0xd3a62e30fe90582aull,
        0xb0c7b7e3c7593bd8ull, 0xca1fc72bf76cb2a1ull, 0x45775673a732292aull, 0x3faf26bb9707a053ull,
        0x70ff52905f188d57ull, 0x0a2722586f2d042eull, 0x854fb3003f739fa5ull, 0xff97c3c80f4616dcull,
        0x1bef5b57af4dc5adull, 0x61372b9f9f784cd4ull, 0xee5fbac7cf26d75full, 0x9487ca0fff135e26ull,
        0xdbd7be24370c7322ull, 0xa10fceec0739fa5bull, 0x2e675fb4576761d0ull, 0x54bf2f7c6752e8a9ull,
        0xcdcf48d84fe75459ull, 0xb71738107fd2dd20ull, 0x387fa9482f8c46abull, 0x42a7d9801fb9cfd2ull,
        0x0df7adabd7a6e2d6ull, 0x772fdd63e7936bafull, 0xf8474c3bb7cdf024ull, 0x829f3cf387f8795dull,
        0x66e7a46c27f3aa2cull, 0x1c3fd4a417c62355ull, 0x935745fc4798b8deull, 0xe98f353477ad31a7ull,
        0xa6df411fbfb21ca3ull, 0xdc0731d78f8795daull, 0x536fa08fdfd90e51ull, 0x29b7d047efec8728ull,
    },
    {
        0x0000000000000000ull, 0x89e99ffd73bddf69ull, 0x388a19a9bfec2db9ull, 0xb1638654cc51f2d0ull,
        0x711433537fd85b72ull, 0xf8fdacae0c65841bull, 0x499e2afac03476cbull, 0xc077b507b389a9a2ull,
        0xe22866a6ffb0b6e4ull, 0x6bc1f95b8c0d698dull, 0xdaa27f0f405c9b5dull, 0x534be0f233e14434ull,
        0x933c55f58068ed96ull, 0x1ad5ca08f3d532ffull, 0xabb64c5c3f84c02full, 0x225fd3a14c391f46ull,
        0xef09eb1ea7f6fea3ull, 0x66e074e3d44b21caull, 0xd783f2b7181ad31aull, 0x5e6a6d4a6ba70c73ull,
        0x9e1dd84dd82ea5d1ull, 0x17f447b0ab937ab8ull, 0xa697c1e467c28868ull, 0x2f7e5e19147f5701ull,
        0x0d218db858464847ull, 0x84c812452bfb972eull, 0x35ab9411e7aa65feull, 0xbc420bec9417ba97ull,
        0x7c35beeb279e1335ull, 0xf5dc21165423cc5cull, 0x44bfa74298723e8cull, 0xcd5638bfebcfe1e5ull,
        0xf54af06e177a6e2dull, 0x7ca36f9364c7b144ull, 0xcdc0e9c7a8964394ull, 0x4429763adb2b9cfdull,
        0x845ec33d68a2355full, 0x0db75cc01b1fea36ull, 0xbcd4da94d74e18e6ull, 0x353d4569a4f3c78full,
        0x176296c8e8cad8c9ull, 0x9e8b09359b7707a0ull, 0x2fe88f615726f570ull, 0xa601109c249b2a19ull,
        0x6676a59b971283bbull, 0xef9f3a66e4af5cd2ull, 0x5efcbc3228feae02ull, 0xd71523cf5b43716bull,
        0x1a431b70b08c908eull, 0x93aa848dc3314fe7ull, 0x22c902d90f60bd37ull, 0xab209d247cdd625eull,
        0x6b572823cf54cbfcull, 0xe2beb7debce91495ull, 0x53dd318a70b8e645ull, 0xda34ae770305392cull,
        0xf86b7dd64f3c266aull, 0x7182e22b3c81f903ull, 0xc0e1647ff0d00bd3ull, 0x4908fb82836dd4baull,
        0x897f4e8530e47d18ull, 0x0096d1784359a271ull, 0xb1f5572c8f0850a1ull, 0x381cc8d1fcb58fc8ull,
        0xc1ccc68f76634f31ull, 0x4825597205de9058ull, 0xf946df26c98f6288ull, 0x70af40dbba32bde1ull,
        0xb0d8f5dc09bb1443ull, 0x39316a217a06cb2aull, 0x8852ec75b65739faull, 0x01bb7388c5eae693ull,
        0x23e4a02989d3f9d5ull, 0xaa0d3fd4fa6e26bcull, 0x1b6eb980363fd46cull, 0x9287267d45820b05ull,
        0x52f0937af60ba2a7ull, 0xdb190c8785b67dceull, 0x6a7a8ad349e78f1eull, 0xe393152e3a5a5077ull,
        0x2ec52d91d195b192ull, 0xa72cb26ca2286efbull, 0x164f34386e799c2bull, 0x9fa6abc51dc44342ull,
        0x5fd11ec2ae4deae0ull, 0xd638813fddf03589ull, 0x675b076b11a1c759ull, 0xeeb29896621c1830ull,
        0xcced4b372e250776ull, 0x4504d4ca5d98d81full, 0xf467529e91c92acfull, 0x7d8ecd63e274f5a6ull,
        0xbdf9786451fd5c04ull, 0x3410e7992240836dull, 0x857361cdee1171bdull, 0x0c9afe309dacaed4ull,
        0x348636e16119211cull, 0xbd6fa91c12a4fe75ull, 0x0c0c2f48def50ca5ull, 0x85e5b0b5ad48d3ccull,
        0x459205b21ec17a6eull, 0xcc7b9a4f6d7ca507ull, 0x7d181c1ba12d57d7ull, 0xf4f183e6d29088beull,
        0xd6ae50479ea997f8ull, 0x5f47cfbaed144891ull, 0xee2449ee2145ba41ull, 0x67cdd61352f86528ull,
        0xa7ba6314e171cc8aull, 0x2e53fce992cc13e3ull, 0x9f307abd5e9de133ull, 0x16d9e5402d203e5aull,
        0xdb8fddffc6efdfbfull, 0x52664202b55200d6ull, 0xe305c4567903f206ull, 0x6aec5bab0abe2d6full,
        0xaa9beeacb93784cdull, 0x23727151ca8a5ba4ull, 0x9211f70506dba974ull, 0x1bf868f87566761dull,
        0x39a7bb59395f695bull, 0xb04e24a44ae2b632ull, 0x012da2f086b344e2ull, 0x88c43d0df50e9b8bull,
        0x48b3880a46873229ull, 0xc15a17f7353aed40ull, 0x703991a3f96b1f90ull, 0xf9d00e5e8ad6c0f9ull,
        0xa8c0ab4db4510d09ull, 0x212934b0c7ecd260ull, 0x904ab2e40bbd20b0ull, 0x19a32d197800ffd9ull,
        0xd9d4981ecb89567bull, 0x503d07e3b8348912ull, 0xe15e81b774657bc2ull, 0x68b71e4a07d8a4abull,
        0x4ae8cdeb4be1bbedull, 0xc3015216385c6484ull, 0x7262d442f40d9654ull, 0xfb8b4bbf87b0493dull,
        0x3bfcfeb83439e09full, 0xb215614547843ff6ull, 0x0376e7118bd5cd26ull, 0x8a9f78ecf868124full,
        0x47c9405313a7f3aaull, 0xce20dfae601a2cc3ull, 0x7f4359faac4bde13ull, 0xf6aac607dff6017aull,
        0x36dd73006c7fa8d8ull, 0xbf34ecfd1fc277b1ull, 0x0e576aa9d3938561ull, 0x87bef554a02e5a08ull,
        0xa5e126f5ec17454eull, 0x2c08b9089faa9a27ull, 0x9d6b3f5c53fb68f7ull, 0x1482a0a12046b79eull,
        0xd4f515a693cf1e3cull, 0x5d1c8a5be072c155ull, 0xec7f0c0f2c233385ull, 0x659693f25f9eececull,
        0x5d8a5b23a32b6324ull, 0xd463c4ded096bc4dull, 0x6500428a1cc74e9dull, 0xece9dd776f7a91f4ull,
        0x2c9e6870dcf33856ull, 0xa577f78daf4ee73full, 0x141471d9631f15efull, 0x9dfdee2410a2ca86ull,
        0xbfa23d855c9bd5c0ull, 0x364ba2782f260aa9ull, 0x8728242ce377f879ull, 0x0ec1bbd190ca2710ull,
        0xceb60ed623438eb2ull, 0x475f912b50fe51dbull, 0xf63c177f9cafa30bull, 0x7fd58882ef127c62ull,
        0xb283b03d04dd9d87ull, 0x3b6a2fc0776042eeull, 0x8a09a994bb31b03eull, 0x03e03669c88c6f57ull,
        0xc397836e7b05c6f5ull, 0x4a7e1c9308b8199cull, 0xfb1d9ac7c4e9eb4cull, 0x72f4053ab7543425ull,
        0x50abd69bfb6d2b63ull, 0xd942496688d0f40aull, 0x6821cf32448106daull, 0xe1c850cf373cd9b3ull,
        0x21bfe5c884b57011ull, 0xa8567a35f708af78ull, 0x1935fc613b595da8ull, 0x90dc639c48e482c1ull,
        0x690c6dc2c2324238ull, 0xe0e5f23fb18f9d51ull, 0x5186746b7dde6f81ull, 0xd86feb960e63b0e8ull,
        0x18185e91bdea194aull, 0x91f1c16cce57c623ull, 0x20924738020634f3ull, 0xa97bd8c571bbeb9aull,
        0x8b240b643d82f4dcull, 0x02cd94994e3f2bb5ull, 0xb3ae12cd826ed965ull, 0x3a478d30f1d3060cull,
        0xfa303837425aafaeull, 0x73d9a7ca31e770c7ull, 0xc2ba219efdb68217ull, 0x4b53be638e0b5d7eull,
        0x860586dc65c4bc9bull, 0x0fec1921167963f2ull, 0xbe8f9f75da289122ull, 0x37660088a9954e4bull,
        0xf711b58f1a1ce7e9ull, 0x7ef82a7269a13880ull, 0xcf9bac26a5f0ca50ull, 0x467233dbd64d1539ull,
        0x642de07a9a740a7full, 0xedc47f87e9c9d516ull, 0x5ca7f9d3259827c6ull, 0xd54e662e5625f8afull,
        0x1539d329e5ac510dull, 0x9cd04cd496118e64ull, 0x2db3ca805a407cb4ull, 0xa45a557d29fda3ddull,
        0x9c469dacd5482c15ull, 0x15af0251a6f5f37cull, 0xa4cc84056aa401acull, 0x2d251bf81919dec5ull,
        0xed52aeffaa907767ull, 0x64bb3102d92da80eull, 0xd5d8b756157c5adeull, 0x5c3128ab66c185b7ull,
        0x7e6efb0a2af89af1ull, 0xf78764f759454598ull, 0x46e4e2a39514b748ull, 0xcf0d7d5ee6a96821ull,
        0x0f7ac8595520c183ull, 0x869357a4269d1eeaull, 0x37f0d1f0eaccec3aull, 0xbe194e0d99713353ull,
        0x734f76b272bed2b6ull, 0xfaa6e94f01030ddfull, 0x4bc56f1bcd52ff0full, 0xc22cf0e6beef2066ull,
        0x025b45e10d6689c4ull, 0x8bb2da1c7edb56adull, 0x3ad15c48b28aa47dull, 0xb338c3b5c1377b14ull,
        0x916710148d0e6452ull, 0x188e8fe9feb3bb3bull, 0xa9ed09bd32e249ebull, 0x20049640415f9682ull,
        0xe0732347f2d63f20ull, 0x699abcba816be049ull, 0xd8f93aee4d3a1299ull, 0x5110a5133e87cdf0ull,
    },
    {
        0x0000000000000000ull, 0xf4125129ce4038beull, 0xc37d8400c417e217ull, 0x376fd5290a57daa9ull,
        0xada22e52d0b85745ull, 0x59b07f7b1ef86ffbull, 0x6edfaa5214afb552ull, 0x9acdfb7bdaef8decull,
        0x701d7af6f9e73de1ull, 0x840f2bdf37a7055full, 0xb360fef63df0dff6ull, 0x4772afdff3b0e748ull,
        0xddbf54a4295f6aa4ull, 0x29ad058de71f521aull, 0x1ec2d0a4ed4888b3ull, 0xead0818d2308b00dull,
        0xe03af5edf3ce7bc2ull, 0x1428a4c43d8e437cull, 0x234771ed37d999d5ull, 0xd75520c4f999a16bull,
        0x4d98dbbf23762c87ull, 0xb98a8a96ed361439ull, 0x8ee55fbfe761ce90ull, 0x7af70e962921f62eull,
        0x90278f1b0a294623ull, 0x6435de32c4697e9dull, 0x535a0b1bce3ea434ull, 0xa7485a32007e9c8aull,
        0x3d85a149da911166ull, 0xc997f06014d129d8ull, 0xfef825491e86f371ull, 0x0aea7460d0c6cbcfull,
        0xeb2ccd88bf0b64efull, 0x1f3e9ca1714b5c51ull, 0x285149887b1c86f8ull, 0xdc4318a1b55cbe46ull,
        0x468ee3da6fb333aaull, 0xb29cb2f3a1f30b14ull, 0x85f367daaba4d1bdull, 0x71e136f365e4e903ull,
        0x9b31b77e46ec590eull, 0x6f23e65788ac61b0ull, 0x584c337e82fbbb19ull, 0xac5e62574cbb83a7ull,
        0x3693992c96540e4bull, 0xc281c805581436f5ull, 0xf5ee1d2c5243ec5cull, 0x01fc4c059c03d4e2ull,
        0x0b1638654cc51f2dull, 0xff04694c82852793ull, 0xc86bbc6588d2fd3aull, 0x3c79ed4c4692c584ull,
        0xa6b416379c7d4868ull, 0x52a6471e523d70d6ull, 0x65c99237586aaa7full, 0x91dbc31e962a92c1ull,
        0x7b0b4293b52222ccull, 0x8f1913ba7b621a72ull, 0xb876c6937135c0dbull, 0x4c6497babf75f865ull,
        0xd6a96cc1659a7589ull, 0x22bb3de8abda4d37ull, 0x15d4e8c1a18d979eull, 0xe1c6b9e86fcdaf20ull,
        0xfd00bd4226815ab5ull, 0x0912ec6be8c1620bull, 0x3e7d3942e296b8a2ull, 0xca6f686b2cd6801cull,
        0x50a29310f6390df0ull, 0xa4b0c2393879354eull, 0x93df1710322eefe7ull, 0x67cd4639fc6ed759ull,
        0x8d1dc7b4df666754ull, 0x790f969d11265feaull, 0x4e6043b41b718543ull, 0xba72129dd531bdfdull,
        0x20bfe9e60fde3011ull, 0xd4adb8cfc19e08afull, 0xe3c26de6cbc9d206ull, 0x17d03ccf0589eab8ull,
        0x1d3a48afd54f2177ull, 0xe92819861b0f19c9ull, 0xde47ccaf1158c360ull, 0x2a559d86df18fbdeull,
        0xb09866fd05f77632ull, 0x448a37d4cbb74e8cull, 0x73e5e2fdc1e09425ull, 0x87f7b3d40fa0ac9bull,
        0x6d2732592ca81c96ull, 0x99356370e2e82428ull, 0xae5ab659e8bffe81ull, 0x5a48e77026ffc63full,
        0xc0851c0bfc104bd3ull, 0x34974d223250736dull, 0x03f8980b3807a9c4ull, 0xf7eac922f647917aull,
        0x162c70ca998a3e5aull, 0xe23e21e357ca06e4ull, 0xd551f4ca5d9ddc4dull, 0x2143a5e393dde4f3ull,
        0xbb8e5e984932691full, 0x4f9c0fb1877251a1ull, 0x78f3da988d258b08ull, 0x8ce18bb14365b3b6ull,
        0x66310a3c606d03bbull, 0x92235b15ae2d3b05ull, 0xa54c8e3ca47ae1acull, 0x515edf156a3ad912ull,
        0xcb93246eb0d554feull, 0x3f8175477e956c40ull, 0x08eea06e74c2b6e9ull, 0xfcfcf147ba828e57ull,
        0xf61685276a444598ull, 0x0204d40ea4047d26ull, 0x356b0127ae53a78full, 0xc179500e60139f31ull,
        0x5bb4ab75bafc12ddull, 0xafa6fa5c74bc2a63ull, 0x98c92f757eebf0caull, 0x6cdb7e5cb0abc874ull,
        0x860bffd193a37879ull, 0x7219aef85de340c7ull, 0x45767bd157b49a6eull, 0xb1642af899f4a2d0ull,
        0x2ba9d183431b2f3cull, 0xdfbb80aa8d5b1782ull, 0xe8d45583870ccd2bull, 0x1cc604aa494cf595ull,
        0xd1585cd715952601ull, 0x254a0dfedbd51ebfull, 0x1225d8d7d182c416ull, 0xe63789fe1fc2fca8ull,
        0x7cfa7285c52d7144ull, 0x88e823ac0b6d49faull, 0xbf87f685013a9353ull, 0x4b95a7accf7aabedull,
        0xa1452621ec721be0ull, 0x555777082232235eull, 0x6238a2212865f9f7ull, 0x962af308e625c149ull,
        0x0ce708733cca4ca5ull, 0xf8f5595af28a741bull, 0xcf9a8c73f8ddaeb2ull, 0x3b88dd5a369d960cull,
        0x3162a93ae65b5dc3ull, 0xc570f813281b657dull, 0xf21f2d3a224cbfd4ull, 0x060d7c13ec0c876aull,
        0x9cc0876836e30a86ull, 0x68d2d641f8a33238ull, 0x5fbd0368f2f4e891ull, 0xabaf52413cb4d02full,
        0x417fd3cc1fbc6022ull, 0xb56d82e5d1fc589cull, 0x820257ccdbab8235ull, 0x761006e515ebba8bull,
        0xecddfd9ecf043767ull, 0x18cfacb701440fd9ull, 0x2fa0799e0b13d570ull, 0xdbb228b7c553edceull,
        0x3a74915faa9e42eeull, 0xce66c07664de7a50ull, 0xf909155f6e89a0f9ull, 0x0d1b4476a0c99847ull,
        0x97d6bf0d7a2615abull, 0x63c4ee24b4662d15ull, 0x54ab3b0dbe31f7bcull, 0xa0b96a247071cf02ull,
        0x4a69eba953797f0full, 0xbe7bba809d3947b1ull, 0x89146fa9976e9d18ull, 0x7d063e80592ea5a6ull,
        0xe7cbc5fb83c1284aull, 0x13d994d24d8110f4ull, 0x24b641fb47d6ca5dull, 0xd0a410d28996f2e3ull,
        0xda4e64b25950392cull, 0x2e5c359b97100192ull, 0x1933e0b29d47db3bull, 0xed21b19b5307e385ull,
        0x77ec4ae089e86e69ull, 0x83fe1bc947a856d7ull, 0xb491cee04dff8c7eull, 0x40839fc983bfb4c0ull,
        0xaa531e44a0b704cdull, 0x5e414f6d6ef73c73ull, 0x692e9a4464a0e6daull, 0x9d3ccb6daae0de64ull,
        0x07f13016700f5388ull, 0xf3e3613fbe4f6b36ull, 0xc48cb416b418b19full, 0x309ee53f7a588921ull,
        0x2c58e19533147cb4ull, 0xd84ab0bcfd54440aull, 0xef256595f7039ea3ull, 0x1b3734bc3943a61dull,
        0x81facfc7e3ac2bf1ull, 0x75e89eee2dec134full, 0x42874bc727bbc9e6ull, 0xb6951aeee9fbf158ull,
        0x5c459b63caf34155ull, 0xa857ca4a04b379ebull, 0x9f381f630ee4a342ull, 0x6b2a4e4ac0a49bfcull,
        0xf1e7b5311a4b1610ull, 0x05f5e418d40b2eaeull, 0x329a3131de5cf407ull, 0xc6886018101cccb9ull,
        0xcc621478c0da0776ull, 0x387045510e9a3fc8ull, 0x0f1f907804cde561ull, 0xfb0dc151ca8ddddfull,
        0x61c03a2a10625033ull, 0x95d26b03de22688dull, 0xa2bdbe2ad475b224ull, 0x56afef031a358a9aull,
        0xbc7f6e8e393d3a97ull, 0x486d3fa7f77d0229ull, 0x7f02ea8efd2ad880ull, 0x8b10bba7336ae03eull,
        0x11dd40dce9856dd2ull, 0xe5cf11f527c5556cull, 0xd2a0c4dc2d928fc5ull, 0x26b295f5e3d2b77bull,
        0xc7742c1d8c1f185bull, 0x33667d34425f20e5ull, 0x0409a81d4808fa4cull, 0xf01bf9348648c2f2ull,
        0x6ad6024f5ca74f1eull, 0x9ec4536692e777a0ull, 0xa9ab864f98b0ad09ull, 0x5db9d76656f095b7ull,
        0xb76956eb75f825baull, 0x437b07c2bbb81d04ull, 0x7414d2ebb1efc7adull, 0x800683c27fafff13ull,
        0x1acb78b9a54072ffull, 0xeed929906b004a41ull, 0xd9b6fcb9615790e8ull, 0x2da4ad90af17a856ull,
        0x274ed9f07fd16399ull, 0xd35c88d9b1915b27ull, 0xe4335df0bbc6818eull, 0x10210cd97586b930ull,
        0x8aecf7a2af6934dcull, 0x7efea68b61290c62ull, 0x499173a26b7ed6cbull, 0xbd83228ba53eee75ull,
        0x5753a30686365e78ull, 0xa341f22f487666c6ull, 0x942e27064221bc6full, 0x603c762f8c6184d1ull,
        0xfaf18d54568e093dull, 0x0ee3dc7d98ce3183ull, 0x398c09549299eb2aull, 0xcd9e587d5cd9d394ull,
    },
    {
        0x0000000000000000ull, 0x8ce168638c796306ull, 0x329bf69440655567ull, 0xbe7a9ef7cc1c3661ull,
        0x6537ed2880caaaceull, 0xe9d6854b0cb3c9c8ull, 0x57ac1bbcc0afffa9ull, 0xdb4d73df4cd69cafull,
        0xca6fda510195559cull, 0x468eb2328dec369aull, 0xf8f42cc541f000fbull, 0x741544a6cd8963fdull,
        0xaf583779815fff52ull, 0x23b95f1a0d269c54ull, 0x9dc3c1edc13aaa35ull, 0x1122a98e4d43c933ull,
        0xbf8692f15bbd3853ull, 0x3367fa92d7c45b55ull, 0x8d1d64651bd86d34ull, 0x01fc0c0697a10e32ull,
        0xdab17fd9db77929dull, 0x565017ba570ef19bull, 0xe82a894d9b12c7faull, 0x64cbe12e176ba4fcull,
        0x75e948a05a286dcfull, 0xf90820c3d6510ec9ull, 0x4772be341a4d38a8ull, 0xcb93d65796345baeull,
        0x10dea588dae2c701ull, 0x9c3fcdeb569ba407ull, 0x2245531c9a879266ull, 0xaea43b7f16fef160ull,
        0x545403b1efede3cdull, 0xd8b56bd2639480cbull, 0x66cff525af88b6aaull, 0xea2e9d4623f1d5acull,
        0x3163ee996f274903ull, 0xbd8286fae35e2a05ull, 0x03f8180d2f421c64ull, 0x8f19706ea33b7f62ull,
        0x9e3bd9e0ee78b651ull, 0x12dab1836201d557ull, 0xaca02f74ae1de336ull, 0x2041471722648030ull,
        0xfb0c34c86eb21c9full, 0x77ed5cabe2cb7f99ull, 0xc997c25c2ed749f8ull, 0x4576aa3fa2ae2afeull,
        0xebd29140b450db9eull, 0x6733f9233829b898ull, 0xd94967d4f4358ef9ull, 0x55a80fb7784cedffull,
        0x8ee57c68349a7150ull, 0x0204140bb8e31256ull, 0xbc7e8afc74ff2437ull, 0x309fe29ff8864731ull,
        0x21bd4b11b5c58e02ull, 0xad5c237239bced04ull, 0x1326bd85f5a0db65ull, 0x9fc7d5e679d9b863ull,
        0x448aa639350f24ccull, 0xc86bce5ab97647caull, 0x761150ad756a71abull, 0xfaf038cef91312adull,
        0xa8a80763dfdbc79aull, 0x24496f0053a2a49cull, 0x9a33f1f79fbe92fdull, 0x16d2999413c7f1fbull,
        0xcd9fea4b5f116d54ull, 0x417e8228d3680e52ull, 0xff041cdf1f743833ull, 0x73e574bc930d5b35ull,
        0x62c7dd32de4e9206ull, 0xee26b5515237f100ull, 0x505c2ba69e2bc761ull, 0xdcbd43c51252a467ull,
        0x07f0301a5e8438c8ull, 0x8b115879d2fd5bceull, 0x356bc68e1ee16dafull, 0xb98aaeed92980ea9ull,
        0x172e95928466ffc9ull, 0x9bcffdf1081f9ccfull, 0x25b56306c403aaaeull, 0xa9540b65487ac9a8ull,
        0x721978ba04ac5507ull, 0xfef810d988d53601ull, 0x40828e2e44c90060ull, 0xcc63e64dc8b06366ull,
        0xdd414fc385f3aa55ull, 0x51a027a0098ac953ull, 0xefdab957c596ff32ull, 0x633bd13449ef9c34ull,
        0xb876a2eb0539009bull, 0x3497ca888940639dull, 0x8aed547f455c55fcull, 0x060c3c1cc92536faull,
        0xfcfc04d230362457ull, 0x701d6cb1bc4f4751ull, 0xce67f24670537130ull, 0x42869a25fc2a1236ull,
        0x99cbe9fab0fc8e99ull, 0x152a81993c85ed9full, 0xab501f6ef099dbfeull, 0x27b1770d7ce0b8f8ull,
        0x3693de8331a371cbull, 0xba72b6e0bdda12cdull, 0x0408281771c624acull, 0x88e94074fdbf47aaull,
        0x53a433abb169db05ull, 0xdf455bc83d10b803ull, 0x613fc53ff10c8e62ull, 0xeddead5c7d75ed64ull,
        0x437a96236b8b1c04ull, 0xcf9bfe40e7f27f02ull, 0x71e160b72bee4963ull, 0xfd0008d4a7972a65ull,
        0x264d7b0beb41b6caull, 0xaaac13686738d5ccull, 0x14d68d9fab24e3adull, 0x9837e5fc275d80abull,
        0x89154c726a1e4998ull, 0x05f42411e6672a9eull, 0xbb8ebae62a7b1cffull, 0x376fd285a6027ff9ull,
        0xec22a15aead4e356ull, 0x60c3c93966ad8050ull, 0xdeb957ceaab1b631ull, 0x52583fad26c8d537ull,
        0x7a092894e7201c5full, 0xf6e840f76b597f59ull, 0x4892de00a7454938ull, 0xc473b6632b3c2a3eull,
        0x1f3ec5bc67eab691ull, 0x93dfaddfeb93d597ull, 0x2da53328278fe3f6ull, 0xa1445b4babf680f0ull,
        0xb066f2c5e6b549c3ull, 0x3c879aa66acc2ac5ull, 0x82fd0451a6d01ca4ull, 0x0e1c6c322aa97fa2ull,
        0xd5511fed667fe30dull, 0x59b0778eea06800bull, 0xe7cae979261ab66aull, 0x6b2b811aaa63d56cull,
        0xc58fba65bc9d240cull, 0x496ed20630e4470aull, 0xf7144cf1fcf8716bull, 0x7bf524927081126dull,
        0xa0b8574d3c578ec2ull, 0x2c593f2eb02eedc4ull, 0x9223a1d97c32dba5ull, 0x1ec2c9baf04bb8a3ull,
        0x0fe06034bd087190ull, 0x8301085731711296ull, 0x3d7b96a0fd6d24f7ull, 0xb19afec3711447f1ull,
        0x6ad78d1c3dc2db5eull, 0xe636e57fb1bbb858ull, 0x584c7b887da78e39ull, 0xd4ad13ebf1deed3full,
        0x2e5d2b2508cdff92ull, 0xa2bc434684b49c94ull, 0x1cc6ddb148a8aaf5ull, 0x9027b5d2c4d1c9f3ull,
        0x4b6ac60d8807555cull, 0xc78bae6e047e365aull, 0x79f13099c862003bull, 0xf51058fa441b633dull,
        0xe432f1740958aa0eull, 0x68d399178521c908ull, 0xd6a907e0493dff69ull, 0x5a486f83c5449c6full,
        0x81051c5c899200c0ull, 0x0de4743f05eb63c6ull, 0xb39eeac8c9f755a7ull, 0x3f7f82ab458e36a1ull,
        0x91dbb9d45370c7c1ull, 0x1d3ad1b7df09a4c7ull, 0xa3404f40131592a6ull, 0x2fa127239f6cf1a0ull,
        0xf4ec54fcd3ba6d0full, 0x780d3c9f5fc30e09ull, 0xc677a26893df3868ull, 0x4a96ca0b1fa65b6eull,
        0x5bb4638552e5925dull, 0xd7550be6de9cf15bull, 0x692f95111280c73aull, 0xe5cefd729ef9a43cull,
        0x3e838eadd22f3893ull, 0xb262e6ce5e565b95ull, 0x0c187839924a6df4ull, 0x80f9105a1e330ef2ull,
        0xd2a12ff738fbdbc5ull, 0x5e404794b482b8c3ull, 0xe03ad963789e8ea2ull, 0x6cdbb100f4e7eda4ull,
        0xb796c2dfb831710bull, 0x3b77aabc3448120dull, 0x850d344bf854246cull, 0x09ec5c28742d476aull,
        0x18cef5a6396e8e59ull, 0x942f9dc5b517ed5full, 0x2a550332790bdb3eull, 0xa6b46b51f572b838ull,
        0x7df9188eb9a42497ull, 0xf11870ed35dd4791ull, 0x4f62ee1af9c171f0ull, 0xc383867975b812f6ull,
        0x6d27bd066346e396ull, 0xe1c6d565ef3f8090ull, 0x5fbc4b922323b6f1ull, 0xd35d23f1af5ad5f7ull,
        0x0810502ee38c4958ull, 0x84f1384d6ff52a5eull, 0x3a8ba6baa3e91c3full, 0xb66aced92f907f39ull,
        0xa748675762d3b60aull, 0x2ba90f34eeaad50cull, 0x95d391c322b6e36dull, 0x1932f9a0aecf806bull,
        0xc27f8a7fe2191cc4ull, 0x4e9ee21c6e607fc2ull, 0xf0e47ceba27c49a3ull, 0x7c0514882e052aa5ull,
        0x86f52c46d7163808ull, 0x0a1444255b6f5b0eull, 0xb46edad297736d6full, 0x388fb2b11b0a0e69ull,
        0xe3c2c16e57dc92c6ull, 0x6f23a90ddba5f1c0ull, 0xd15937fa17b9c7a1ull, 0x5db85f999bc0a4a7ull,
        0x4c9af617d6836d94ull, 0xc07b9e745afa0e92ull, 0x7e01008396e638f3ull, 0xf2e068e01a9f5bf5ull,
        0x29ad1b3f5649c75aull, 0xa54c735cda30a45cull, 0x1b36edab162c923dull, 0x97d785c89a55f13bull,
        0x3973beb78cab005bull, 0xb592d6d400d2635dull, 0x0be84823ccce553cull, 0x8709204040b7363aull,
        0x5c44539f0c61aa95ull, 0xd0a53bfc8018c993ull, 0x6edfa50b4c04fff2ull, 0xe23ecd68c07d9cf4ull,
        0xf31c64e68d3e55c7ull, 0x7ffd0c85014736c1ull, 0xc1879272cd5b00a0ull, 0x4d66fa11412263a6ull,
        0x962b89ce0df4ff09ull, 0x1acae1ad818d9c0full, 0xa4b07f5a4d91aa6eull, 0x28511739c1e8c968ull,
    },
    {
        0x0000000000000000ull, 0x3504e58b9ba6dd1eull, 0x6a09cb17374dba3cull, 0x5f0d2e9caceb6722ull,
        0xd413962e6e9b7478ull, 0xe11773a5f53da966ull, 0xbe1a5d3959d6ce44ull, 0x8b1eb8b2c270135aull,
        0x837e0a0f85a17b9bull, 0xb67aef841e07a685ull, 0xe977c118b2ecc1a7ull, 0xdc732493294a1cb9ull,
        0x576d9c21eb3a0fe3ull, 0x626979aa709cd2fdull, 0x3d645736dc77b5dfull, 0x0860b2bd47d168c1ull,
        0x2da5324c53d5645dull, 0x18a1d7c7c873b943ull, 0x47acf95b6498de61ull, 0x72a81cd0ff3e037full,
        0xf9b6a4623d4e1025ull, 0xccb241e9a6e8cd3bull, 0x93bf6f750a03aa19ull, 0xa6bb8afe91a57707ull,
        0xaedb3843d6741fc6ull, 0x9bdfddc84dd2c2d8ull, 0xc4d2f354e139a5faull, 0xf1d616df7a9f78e4ull,
        0x7ac8ae6db8ef6bbeull, 0x4fcc4be62349b6a0ull, 0x10c1657a8fa2d182ull, 0x25c580f114040c9cull,
        0x5b4a6498a7aac8baull, 0x6e4e81133c0c15a4ull, 0x3143af8f90e77286ull, 0x04474a040b41af98ull,
        0x8f59f2b6c931bcc2ull, 0xba5d173d529761dcull, 0xe55039a1fe7c06feull, 0xd054dc2a65dadbe0ull,
        0xd8346e97220bb321ull, 0xed308b1cb9ad6e3full, 0xb23da5801546091dull, 0x8739400b8ee0d403ull,
        0x0c27f8b94c90c759ull, 0x39231d32d7361a47ull, 0x662e33ae7bdd7d65ull, 0x532ad625e07ba07bull,
        0x76ef56d4f47face7ull, 0x43ebb35f6fd971f9ull, 0x1ce69dc3c33216dbull, 0x29e278485894cbc5ull,
        0xa2fcc0fa9ae4d89full, 0x97f8257101420581ull, 0xc8f50bedada962a3ull, 0xfdf1ee66360fbfbdull,
        0xf5915cdb71ded77cull, 0xc095b950ea780a62ull, 0x9f9897cc46936d40ull, 0xaa9c7247dd35b05eull,
        0x2182caf51f45a304ull, 0x14862f7e84e37e1aull, 0x4b8b01e228081938ull, 0x7e8fe469b3aec426ull,
        0xb694c9314f559174ull, 0x83902cbad4f34c6aull, 0xdc9d022678182b48ull, 0xe999e7ade3bef656ull,
        0x62875f1f21cee50cull, 0x5783ba94ba683812ull, 0x088e940816835f30ull, 0x3d8a71838d25822eull,
        0x35eac33ecaf4eaefull, 0x00ee26b5515237f1ull, 0x5fe30829fdb950d3ull, 0x6ae7eda2661f8dcdull,
        0xe1f95510a46f9e97ull, 0xd4fdb09b3fc94389ull, 0x8bf09e07932224abull, 0xbef47b8c0884f9b5ull,
        0x9b31fb7d1c80f529ull, 0xae351ef687262837ull, 0xf138306a2bcd4f15ull, 0xc43cd5e1b06b920bull,
        0x4f226d53721b8151ull, 0x7a2688d8e9bd5c4full, 0x252ba64445563b6dull, 0x102f43cfdef0e673ull,
        0x184ff17299218eb2ull, 0x2d4b14f9028753acull, 0x72463a65ae6c348eull, 0x4742dfee35cae990ull,
        0xcc5c675cf7bafacaull, 0xf95882d76c1c27d4ull, 0xa655ac4bc0f740f6ull, 0x935149c05b519de8ull,
        0xeddeada9e8ff59ceull, 0xd8da4822735984d0ull, 0x87d766bedfb2e3f2ull, 0xb2d3833544143eecull,
        0x39cd3b8786642db6ull, 0x0cc9de0c1dc2f0a8ull, 0x53c4f090b129978aull, 0x66c0151b2a8f4a94ull,
        0x6ea0a7a66d5e2255ull, 0x5ba4422df6f8ff4bull, 0x04a96cb15a139869ull, 0x31ad893ac1b54577ull,
        0xbab3318803c5562dull, 0x8fb7d40398638b33ull, 0xd0bafa9f3488ec11ull, 0xe5be1f14af2e310full,
        0xc07b9fe5bb2a3d93ull, 0xf57f7a6e208ce08dull, 0xaa7254f28c6787afull, 0x9f76b17917c15ab1ull,
        0x146809cbd5b149ebull, 0x216cec404e1794f5ull, 0x7e61c2dce2fcf3d7ull, 0x4b652757795a2ec9ull,
        0x430595ea3e8b4608ull, 0x76017061a52d9b16ull, 0x290c5efd09c6fc34ull, 0x1c08bb769260212aull,
        0x971603c450103270ull, 0xa212e64fcbb6ef6eull, 0xfd1fc8d3675d884cull, 0xc81b2d58fcfb5552ull,
        0x4670b431c63cb183ull, 0x737451ba5d9a6c9dull, 0x2c797f26f1710bbfull, 0x197d9aad6ad7d6a1ull,
        0x9263221fa8a7c5fbull, 0xa767c794330118e5ull, 0xf86ae9089fea7fc7ull, 0xcd6e0c83044ca2d9ull,
        0xc50ebe3e439dca18ull, 0xf00a5bb5d83b1706ull, 0xaf07752974d07024ull, 0x9a0390a2ef76ad3aull,
        0x111d28102d06be60ull, 0x2419cd9bb6a0637eull, 0x7b14e3071a4b045cull, 0x4e10068c81edd942ull,
        0x6bd5867d95e9d5deull, 0x5ed163f60e4f08c0ull, 0x01dc4d6aa2a46fe2ull, 0x34d8a8e13902b2fcull,
        0xbfc61053fb72a1a6ull, 0x8ac2f5d860d47cb8ull, 0xd5cfdb44cc3f1b9aull, 0xe0cb3ecf5799c684ull,
        0xe8ab8c721048ae45ull, 0xddaf69f98bee735bull, 0x82a2476527051479ull, 0xb7a6a2eebca3c967ull,
        0x3cb81a5c7ed3da3dull, 0x09bcffd7e5750723ull, 0x56b1d14b499e6001ull, 0x63b534c0d238bd1full,
        0x1d3ad0a961967939ull, 0x283e3522fa30a427ull, 0x77331bbe56dbc305ull, 0x4237fe35cd7d1e1bull,
        0xc92946870f0d0d41ull, 0xfc2da30c94abd05full, 0xa3208d903840b77dull, 0x9624681ba3e66a63ull,
        0x9e44daa6e43702a2ull, 0xab403f2d7f91dfbcull, 0xf44d11b1d37ab89eull, 0xc149f43a48dc6580ull,
        0x4a574c888aac76daull, 0x7f53a903110aabc4ull, 0x205e879fbde1cce6ull, 0x155a6214264711f8ull,
        0x309fe2e532431d64ull, 0x059b076ea9e5c07aull, 0x5a9629f2050ea758ull, 0x6f92cc799ea87a46ull,
        0xe48c74cb5cd8691cull, 0xd1889140c77eb402ull, 0x8e85bfdc6b95d320ull, 0xbb815a57f0330e3eull,
        0xb3e1e8eab7e266ffull, 0x86e50d612c44bbe1ull, 0xd9e823fd80afdcc3ull, 0xececc6761b0901ddull,
        0x67f27ec4d9791287ull, 0x52f69b4f42dfcf99ull, 0x0dfbb5d3ee34a8bbull, 0x38ff5058759275a5ull,
        0xf0e47d00896920f7ull, 0xc5e0988b12cffde9ull, 0x9aedb617be249acbull, 0xafe9539c258247d5ull,
        0x24f7eb2ee7f2548full, 0x11f30ea57c548991ull, 0x4efe2039d0bfeeb3ull, 0x7bfac5b24b1933adull,
        0x739a770f0cc85b6cull, 0x469e9284976e8672ull, 0x1993bc183b85e150ull, 0x2c975993a0233c4eull,
        0xa789e12162532f14ull, 0x928d04aaf9f5f20aull, 0xcd802a36551e9528ull, 0xf884cfbdceb84836ull,
        0xdd414f4cdabc44aaull, 0xe845aac7411a99b4ull, 0xb748845bedf1fe96ull, 0x824c61d076572388ull,
        0x0952d962b42730d2ull, 0x3c563ce92f81edccull, 0x635b1275836a8aeeull, 0x565ff7fe18cc57f0ull,
        0x5e3f45435f1d3f31ull, 0x6b3ba0c8c4bbe22full, 0x34368e546850850dull, 0x01326bdff3f65813ull,
        0x8a2cd36d31864b49ull, 0xbf2836e6aa209657ull, 0xe025187a06cbf175ull, 0xd521fdf19d6d2c6bull,
        0xabae19982ec3e84dull, 0x9eaafc13b5653553ull, 0xc1a7d28f198e5271ull, 0xf4a3370482288f6full,
        0x7fbd8fb640589c35ull, 0x4ab96a3ddbfe412bull, 0x15b444a177152609ull, 0x20b0a12aecb3fb17ull,
        0x28d01397ab6293d6ull, 0x1dd4f61c30c44ec8ull, 0x42d9d8809c2f29eaull, 0x77dd3d0b0789f4f4ull,
        0xfcc385b9c5f9e7aeull, 0xc9c760325e5f3ab0ull, 0x96ca4eaef2b45d92ull, 0xa3ceab256912808cull,
        0x860b2bd47d168c10ull, 0xb30fce5fe6b0510eull, 0xec02e0c34a5b362cull, 0xd9060548d1fdeb32ull,
        0x5218bdfa138df868ull, 0x671c5871882b2576ull, 0x381176ed24c04254ull, 0x0d159366bf669f4aull,
        0x057521dbf8b7f78bull, 0x3071c45063112a95ull, 0x6f7ceacccffa4db7ull, 0x5a780f47545c90a9ull,
        0xd166b7f5962c83f3ull, 0xe462527e0d8a5eedull, 0xbb6f7ce2a16139cfull, 0x8e6b99693ac7e4d1ull,
    },
    {
        0x0000000000000000ull, 0xe39d1389931b9354ull, 0xec6301407ea0b5c3ull, 0x0ffe12c9edbb2697ull,
        0xf39f24d3a5d6f8edull, 0x1002375a36cd6bb9ull, 0x1ffc2593db764d2eull, 0xfc61361a486dde7aull,
        0xcc676ff4133a62b1ull, 0x2ffa7c7d8021f1e5ull, 0x20046eb46d9ad772ull, 0xc3997d3dfe814426ull,
        0x3ff84b27b6ec9a5cull, 0xdc6558ae25f70908ull, 0xd39b4a67c84c2f9full, 0x300659ee5b57bccbull,
        0xb397f9bb7ee35609ull, 0x500aea32edf8c55dull, 0x5ff4f8fb0043e3caull, 0xbc69eb729358709eull,
        0x4008dd68db35aee4ull, 0xa395cee1482e3db0ull, 0xac6bdc28a5951b27ull, 0x4ff6cfa1368e8873ull,
        0x7ff0964f6dd934b8ull, 0x9c6d85c6fec2a7ecull, 0x9393970f1379817bull, 0x700e84868062122full,
        0x8c6fb29cc80fcc55ull, 0x6ff2a1155b145f01ull, 0x600cb3dcb6af7996ull, 0x8391a05525b4eac2ull,
        0x4c76d525a5513f79ull, 0xafebc6ac364aac2dull, 0xa015d465dbf18abaull, 0x4388c7ec48ea19eeull,
        0xbfe9f1f60087c794ull, 0x5c74e27f939c54c0ull, 0x538af0b67e277257ull, 0xb017e33fed3ce103ull,
        0x8011bad1b66b5dc8ull, 0x638ca9582570ce9cull, 0x6c72bb91c8cbe80bull, 0x8fefa8185bd07b5full,
        0x738e9e0213bda525ull, 0x90138d8b80a63671ull, 0x9fed9f426d1d10e6ull, 0x7c708ccbfe0683b2ull,
        0xffe12c9edbb26970ull, 0x1c7c3f1748a9fa24ull, 0x13822ddea512dcb3ull, 0xf01f3e5736094fe7ull,
        0x0c7e084d7e64919dull, 0xefe31bc4ed7f02c9ull, 0xe01d090d00c4245eull, 0x03801a8493dfb70aull,
        0x3386436ac8880bc1ull, 0xd01b50e35b939895ull, 0xdfe5422ab628be02ull, 0x3c7851a325332d56ull,
        0xc01967b96d5ef32cull, 0x23847430fe456078ull, 0x2c7a66f913fe46efull, 0xcfe7757080e5d5bbull,
        0x98edaa4b4aa27ef2ull, 0x7b70b9c2d9b9eda6ull, 0x748eab0b3402cb31ull, 0x9713b882a7195865ull,
        0x6b728e98ef74861full, 0x88ef9d117c6f154bull, 0x87118fd891d433dcull, 0x648c9c5102cfa088ull,
        0x548ac5bf59981c43ull, 0xb717d636ca838f17ull, 0xb8e9c4ff2738a980ull, 0x5b74d776b4233ad4ull,
        0xa715e16cfc4ee4aeull, 0x4488f2e56f5577faull, 0x4b76e02c82ee516dull, 0xa8ebf3a511f5c239ull,
        0x2b7a53f0344128fbull, 0xc8e74079a75abbafull, 0xc71952b04ae19d38ull, 0x24844139d9fa0e6cull,
        0xd8e577239197d016ull, 0x3b7864aa028c4342ull, 0x34867663ef3765d5ull, 0xd71b65ea7c2cf681ull,
        0xe71d3c04277b4a4aull, 0x04802f8db460d91eull, 0x0b7e3d4459dbff89ull, 0xe8e32ecdcac06cddull,
        0x148218d782adb2a7ull, 0xf71f0b5e11b621f3ull, 0xf8e11997fc0d0764ull, 0x1b7c0a1e6f169430ull,
        0xd49b7f6eeff3418bull, 0x37066ce77ce8d2dfull, 0x38f87e2e9153f448ull, 0xdb656da70248671cull,
        0x27045bbd4a25b966ull, 0xc4994834d93e2a32ull, 0xcb675afd34850ca5ull, 0x28fa4974a79e9ff1ull,
        0x18fc109afcc9233aull, 0xfb6103136fd2b06eull, 0xf49f11da826996f9ull, 0x17020253117205adull,
        0xeb633449591fdbd7ull, 0x08fe27c0ca044883ull, 0x0700350927bf6e14ull, 0xe49d2680b4a4fd40ull,
        0x670c86d591101782ull, 0x8491955c020b84d6ull, 0x8b6f8795efb0a241ull, 0x68f2941c7cab3115ull,
        0x9493a20634c6ef6full, 0x770eb18fa7dd7c3bull, 0x78f0a3464a665aacull, 0x9b6db0cfd97dc9f8ull,
        0xab6be921822a7533ull, 0x48f6faa81131e667ull, 0x4708e861fc8ac0f0ull, 0xa495fbe86f9153a4ull,
        0x58f4cdf227fc8ddeull, 0xbb69de7bb4e71e8aull, 0xb497ccb2595c381dull, 0x570adf3bca47ab49ull,
        0x1a8272c5cdd36e8full, 0xf91f614c5ec8fddbull, 0xf6e17385b373db4cull, 0x157c600c20684818ull,
        0xe91d561668059662ull, 0x0a80459ffb1e0536ull, 0x057e575616a523a1ull, 0xe6e344df85beb0f5ull,
        0xd6e51d31dee90c3eull, 0x35780eb84df29f6aull, 0x3a861c71a049b9fdull, 0xd91b0ff833522aa9ull,
        0x257a39e27b3ff4d3ull, 0xc6e72a6be8246787ull, 0xc91938a2059f4110ull, 0x2a842b2b9684d244ull,
        0xa9158b7eb3303886ull, 0x4a8898f7202babd2ull, 0x45768a3ecd908d45ull, 0xa6eb99b75e8b1e11ull,
        0x5a8aafad16e6c06bull, 0xb917bc2485fd533full, 0xb6e9aeed684675a8ull, 0x5574bd64fb5de6fcull,
        0x6572e48aa00a5a37ull, 0x86eff7033311c963ull, 0x8911e5cadeaaeff4ull, 0x6a8cf6434db17ca0ull,
        0x96edc05905dca2daull, 0x7570d3d096c7318eull, 0x7a8ec1197b7c1719ull, 0x9913d290e867844dull,
        0x56f4a7e0688251f6ull, 0xb569b469fb99c2a2ull, 0xba97a6a01622e435ull, 0x590ab52985397761ull,
        0xa56b8333cd54a91bull, 0x46f690ba5e4f3a4full, 0x49088273b3f41cd8ull, 0xaa9591fa20ef8f8cull,
        0x9a93c8147bb83347ull, 0x790edb9de8a3a013ull, 0x76f0c95405188684ull, 0x956ddadd960315d0ull,
        0x690cecc7de6ecbaaull, 0x8a91ff4e4d7558feull, 0x856fed87a0ce7e69ull, 0x66f2fe0e33d5ed3dull,
        0xe5635e5b166107ffull, 0x06fe4dd2857a94abull, 0x09005f1b68c1b23cull, 0xea9d4c92fbda2168ull,
        0x16fc7a88b3b7ff12ull, 0xf561690120ac6c46ull, 0xfa9f7bc8cd174ad1ull, 0x190268415e0cd985ull,
        0x290431af055b654eull, 0xca9922269640f61aull, 0xc56730ef7bfbd08dull, 0x26fa2366e8e043d9ull,
        0xda9b157ca08d9da3ull, 0x390606f533960ef7ull, 0x36f8143cde2d2860ull, 0xd56507b54d36bb34ull,
        0x826fd88e8771107dull, 0x61f2cb07146a8329ull, 0x6e0cd9cef9d1a5beull, 0x8d91ca476aca36eaull,
        0x71f0fc5d22a7e890ull, 0x926defd4b1bc7bc4ull, 0x9d93fd1d5c075d53ull, 0x7e0eee94cf1cce07ull,
        0x4e08b77a944b72ccull, 0xad95a4f30750e198ull, 0xa26bb63aeaebc70full, 0x41f6a5b379f0545bull,
        0xbd9793a9319d8a21ull, 0x5e0a8020a2861975ull, 0x51f492e94f3d3fe2ull, 0xb2698160dc26acb6ull,
        0x31f82135f9924674ull, 0xd26532bc6a89d520ull, 0xdd9b20758732f3b7ull, 0x3e0633fc142960e3ull,
        0xc26705e65c44be99ull, 0x21fa166fcf5f2dcdull, 0x2e0404a622e40b5aull, 0xcd99172fb1ff980eull,
        0xfd9f4ec1eaa824c5ull, 0x1e025d4879b3b791ull, 0x11fc4f8194089106ull, 0xf2615c0807130252ull,
        0x0e006a124f7edc28ull, 0xed9d799bdc654f7cull, 0xe2636b5231de69ebull, 0x01fe78dba2c5fabfull,
        0xce190dab22202f04ull, 0x2d841e22b13bbc50ull, 0x227a0ceb5c809ac7ull, 0xc1e71f62cf9b0993ull,
        0x3d86297887f6d7e9ull, 0xde1b3af114ed44bdull, 0xd1e52838f956622aull, 0x32783bb16a4df17eull,
        0x027e625f311a4db5ull, 0xe1e371d6a201dee1ull, 0xee1d631f4fbaf876ull, 0x0d807096dca16b22ull,
        0xf1e1468c94ccb558ull, 0x127c550507d7260cull, 0x1d8247ccea6c009bull, 0xfe1f5445797793cfull,
        0x7d8ef4105cc3790dull, 0x9e13e799cfd8ea59ull, 0x91edf5502263ccceull, 0x7270e6d9b1785f9aull,
        0x8e11d0c3f91581e0ull, 0x6d8cc34a6a0e12b4ull, 0x6272d18387b53423ull, 0x81efc20a14aea777ull,
        0xb1e99be44ff91bbcull, 0x5274886ddce288e8ull, 0x5d8a9aa43159ae7full, 0xbe17892da2423d2bull,
        0x4276bf37ea2fe351ull, 0xa1ebacbe79347005ull, 0xae15be77948f5692ull, 0x4d88adfe0794c5c6ull,
    },
    {
        0x0000000000000000ull, 0x62a95de6e302eff2ull, 0xc552bbcdc605dfe4ull, 0xa7fbe62b25073016ull,
        0xa1fc51c8d49c2ca3ull, 0xc3550c2e379ec351ull, 0x64aeea051299f347ull, 0x0607b7e3f19b1cb5ull,
        0x68a185c2f1afca2dull, 0x0a08d82412ad25dfull, 0xadf33e0f37aa15c9ull, 0xcf5a63e9d4a8fa3bull,
        0xc95dd40a2533e68eull, 0xabf489ecc631097cull, 0x0c0f6fc7e336396aull, 0x6ea632210034d698ull,
        0xd1430b85e35f945aull, 0xb3ea5663005d7ba8ull, 0x1411b048255a4bbeull, 0x76b8edaec658a44cull,
        0x70bf5a4d37c3b8f9ull, 0x121607abd4c1570bull, 0xb5ede180f1c6671dull, 0xd744bc6612c488efull,
        0xb9e28e4712f05e77ull, 0xdb4bd3a1f1f2b185ull, 0x7cb0358ad4f58193ull, 0x1e19686c37f76e61ull,
        0x181edf8fc66c72d4ull, 0x7ab78269256e9d26ull, 0xdd4c64420069ad30ull, 0xbfe539a4e36b42c2ull,
        0x89df31589e28bbdfull, 0xeb766cbe7d2a542dull, 0x4c8d8a95582d643bull, 0x2e24d773bb2f8bc9ull,
        0x282360904ab4977cull, 0x4a8a3d76a9b6788eull, 0xed71db5d8cb14898ull, 0x8fd886bb6fb3a76aull,
        0xe17eb49a6f8771f2ull, 0x83d7e97c8c859e00ull, 0x242c0f57a982ae16ull, 0x468552b14a8041e4ull,
        0x4082e552bb1b5d51ull, 0x222bb8b45819b2a3ull, 0x85d05e9f7d1e82b5ull, 0xe77903799e1c6d47ull,
        0x589c3add7d772f85ull, 0x3a35673b9e75c077ull, 0x9dce8110bb72f061ull, 0xff67dcf658701f93ull,
        0xf9606b15a9eb0326ull, 0x9bc936f34ae9ecd4ull, 0x3c32d0d86feedcc2ull, 0x5e9b8d3e8cec3330ull,
        0x303dbf1f8cd8e5a8ull, 0x5294e2f96fda0a5aull, 0xf56f04d24add3a4cull, 0x97c65934a9dfd5beull,
        0x91c1eed75844c90bull, 0xf368b331bb4626f9ull, 0x5493551a9e4116efull, 0x363a08fc7d43f91dull,
        0x38e744e264c6e4d5ull, 0x5a4e190487c40b27ull, 0xfdb5ff2fa2c33b31ull, 0x9f1ca2c941c1d4c3ull,
        0x991b152ab05ac876ull, 0xfbb248cc53582784ull, 0x5c49aee7765f1792ull, 0x3ee0f301955df860ull,
        0x5046c12095692ef8ull, 0x32ef9cc6766bc10aull, 0x95147aed536cf11cull, 0xf7bd270bb06e1eeeull,
        0xf1ba90e841f5025bull, 0x9313cd0ea2f7eda9ull, 0x34e82b2587f0ddbfull, 0x564176c364f2324dull,
        0xe9a44f678799708full, 0x8b0d1281649b9f7dull, 0x2cf6f4aa419caf6bull, 0x4e5fa94ca29e4099ull,
        0x48581eaf53055c2cull, 0x2af14349b007b3deull, 0x8d0aa562950083c8ull, 0xefa3f88476026c3aull,
        0x8105caa57636baa2ull, 0xe3ac974395345550ull, 0x44577168b0336546ull, 0x26fe2c8e53318ab4ull,
        0x20f99b6da2aa9601ull, 0x4250c68b41a879f3ull, 0xe5ab20a064af49e5ull, 0x87027d4687ada617ull,
        0xb13875bafaee5f0aull, 0xd391285c19ecb0f8ull, 0x746ace773ceb80eeull, 0x16c39391dfe96f1cull,
        0x10c424722e7273a9ull, 0x726d7994cd709c5bull, 0xd5969fbfe877ac4dull, 0xb73fc2590b7543bfull,
        0xd999f0780b419527ull, 0xbb30ad9ee8437ad5ull, 0x1ccb4bb5cd444ac3ull, 0x7e6216532e46a531ull,
        0x7865a1b0dfddb984ull, 0x1accfc563cdf5676ull, 0xbd371a7d19d86660ull, 0xdf9e479bfada8992ull,
        0x607b7e3f19b1cb50ull, 0x02d223d9fab324a2ull, 0xa529c5f2dfb414b4ull, 0xc78098143cb6fb46ull,
        0xc1872ff7cd2de7f3ull, 0xa32e72112e2f0801ull, 0x04d5943a0b283817ull, 0x667cc9dce82ad7e5ull,
        0x08dafbfde81e017dull, 0x6a73a61b0b1cee8full, 0xcd8840302e1bde99ull, 0xaf211dd6cd19316bull,
        0xa926aa353c822ddeull, 0xcb8ff7d3df80c22cull, 0x6c7411f8fa87f23aull, 0x0edd4c1e19851dc8ull,
        0x71ce89c4c98dc9aaull, 0x1367d4222a8f2658ull, 0xb49c32090f88164eull, 0xd6356fefec8af9bcull,
        0xd032d80c1d11e509ull, 0xb29b85eafe130afbull, 0x156063c1db143aedull, 0x77c93e273816d51full,
        0x196f0c0638220387ull, 0x7bc651e0db20ec75ull, 0xdc3db7cbfe27dc63ull, 0xbe94ea2d1d253391ull,
        0xb8935dceecbe2f24ull, 0xda3a00280fbcc0d6ull, 0x7dc1e6032abbf0c0ull, 0x1f68bbe5c9b91f32ull,
        0xa08d82412ad25df0ull, 0xc224dfa7c9d0b202ull, 0x65df398cecd78214ull, 0x0776646a0fd56de6ull,
        0x0171d389fe4e7153ull, 0x63d88e6f1d4c9ea1ull, 0xc4236844384baeb7ull, 0xa68a35a2db494145ull,
        0xc82c0783db7d97ddull, 0xaa855a65387f782full, 0x0d7ebc4e1d784839ull, 0x6fd7e1a8fe7aa7cbull,
        0x69d0564b0fe1bb7eull, 0x0b790badece3548cull, 0xac82ed86c9e4649aull, 0xce2bb0602ae68b68ull,
        0xf811b89c57a57275ull, 0x9ab8e57ab4a79d87ull, 0x3d43035191a0ad91ull, 0x5fea5eb772a24263ull,
        0x59ede95483395ed6ull, 0x3b44b4b2603bb124ull, 0x9cbf5299453c8132ull, 0xfe160f7fa63e6ec0ull,
        0x90b03d5ea60ab858ull, 0xf21960b8450857aaull, 0x55e28693600f67bcull, 0x374bdb75830d884eull,
        0x314c6c96729694fbull, 0x53e5317091947b09ull, 0xf41ed75bb4934b1full, 0x96b78abd5791a4edull,
        0x2952b319b4fae62full, 0x4bfbeeff57f809ddull, 0xec0008d472ff39cbull, 0x8ea9553291fdd639ull,
        0x88aee2d16066ca8cull, 0xea07bf378364257eull, 0x4dfc591ca6631568ull, 0x2f5504fa4561fa9aull,
        0x41f336db45552c02ull, 0x235a6b3da657c3f0ull, 0x84a18d168350f3e6ull, 0xe608d0f060521c14ull,
        0xe00f671391c900a1ull, 0x82a63af572cbef53ull, 0x255ddcde57ccdf45ull, 0x47f48138b4ce30b7ull,
        0x4929cd26ad4b2d7full, 0x2b8090c04e49c28dull, 0x8c7b76eb6b4ef29bull, 0xeed22b0d884c1d69ull,
        0xe8d59cee79d701dcull, 0x8a7cc1089ad5ee2eull, 0x2d872723bfd2de38ull, 0x4f2e7ac55cd031caull,
        0x218848e45ce4e752ull, 0x43211502bfe608a0ull, 0xe4daf3299ae138b6ull, 0x8673aecf79e3d744ull,
        0x8074192c8878cbf1ull, 0xe2dd44ca6b7a2403ull, 0x4526a2e14e7d1415ull, 0x278fff07ad7ffbe7ull,
        0x986ac6a34e14b925ull, 0xfac39b45ad1656d7ull, 0x5d387d6e881166c1ull, 0x3f9120886b138933ull,
        0x3996976b9a889586ull, 0x5b3fca8d798a7a74ull, 0xfcc42ca65c8d4a62ull, 0x9e6d7140bf8fa590ull,
        0xf0cb4361bfbb7308ull, 0x92621e875cb99cfaull, 0x3599f8ac79beacecull, 0x5730a54a9abc431eull,
        0x513712a96b275fabull, 0x339e4f4f8825b059ull, 0x9465a964ad22804full, 0xf6ccf4824e206fbdull,
        0xc0f6fc7e336396a0ull, 0xa25fa198d0617952ull, 0x05a447b3f5664944ull, 0x670d1a551664a6b6ull,
        0x610aadb6e7ffba03ull, 0x03a3f05004fd55f1ull, 0xa458167b21fa65e7ull, 0xc6f14b9dc2f88a15ull,
        0xa85779bcc2cc5c8dull, 0xcafe245a21ceb37full, 0x6d05c27104c98369ull, 0x0fac9f97e7cb6c9bull,
        0x09ab28741650702eull, 0x6b027592f5529fdcull, 0xccf993b9d055afcaull, 0xae50ce5f33574038ull,
        0x11b5f7fbd03c02faull, 0x731caa1d333eed08ull, 0xd4e74c361639dd1eull, 0xb64e11d0f53b32ecull,
        0xb049a63304a02e59ull, 0xd2e0fbd5e7a2c1abull, 0x751b1dfec2a5f1bdull, 0x17b2401821a71e4full,
        0x791472392193c8d7ull, 0x1bbd2fdfc2912725ull, 0xbc46c9f4e7961733ull, 0xdeef94120494f8c1ull,
        0xd8e823f1f50fe474ull, 0xba417e17160d0b86ull, 0x1dba983c330a3b90ull, 0x7f13c5dad008d462ull,
    },
    {
        0x0000000000000000ull, 0x381d0015c96f4444ull, 0x703a002b92de8888ull, 0x4827003e5bb1ccccull,
        0xe074005725bd1110ull, 0xd8690042ecd25554ull, 0x904e007cb7639998ull, 0xa85300697e0cdddcull,
        0xebb126fd13edb14bull, 0xd3ac26e8da82f50full, 0x9b8b26d6813339c3ull, 0xa39626c3485c7d87ull,
        0x0bc526aa3650a05bull, 0x33d826bfff3fe41full, 0x7bff2681a48e28d3ull, 0x43e226946de16c97ull,
        0xfc3b6ba97f4cf1fdull, 0xc4266bbcb623b5b9ull, 0x8c016b82ed927975ull, 0xb41c6b9724fd3d31ull,
        0x1c4f6bfe5af1e0edull, 0x24526beb939ea4a9ull, 0x6c756bd5c82f6865ull, 0x54686bc001402c21ull,
        0x178a4d546ca140b6ull, 0x2f974d41a5ce04f2ull, 0x67b04d7ffe7fc83eull, 0x5fad4d6a37108c7aull,
        0xf7fe4d03491c51a6ull, 0xcfe34d16807315e2ull, 0x87c44d28dbc2d92eull, 0xbfd94d3d12ad9d6aull,
        0xd32ff101a60e7091ull, 0xeb32f1146f6134d5ull, 0xa315f12a34d0f819ull, 0x9b08f13ffdbfbc5dull,
        0x335bf15683b36181ull, 0x0b46f1434adc25c5ull, 0x4361f17d116de909ull, 0x7b7cf168d802ad4dull,
        0x389ed7fcb5e3c1daull, 0x0083d7e97c8c859eull, 0x48a4d7d7273d4952ull, 0x70b9d7c2ee520d16ull,
        0xd8ead7ab905ed0caull, 0xe0f7d7be5931948eull, 0xa8d0d78002805842ull, 0x90cdd795cbef1c06ull,
        0x2f149aa8d942816cull, 0x17099abd102dc528ull, 0x5f2e9a834b9c09e4ull, 0x67339a9682f34da0ull,
        0xcf609afffcff907cull, 0xf77d9aea3590d438ull, 0xbf5a9ad46e2118f4ull, 0x87479ac1a74e5cb0ull,
        0xc4a5bc55caaf3027ull, 0xfcb8bc4003c07463ull, 0xb49fbc7e5871b8afull, 0x8c82bc6b911efcebull,
        0x24d1bc02ef122137ull, 0x1cccbc17267d6573ull, 0x54ebbc297dcca9bfull, 0x6cf6bc3cb4a3edfbull,
        0x8d06c450148b7249ull, 0xb51bc445dde4360dull, 0xfd3cc47b8655fac1ull, 0xc521c46e4f3abe85ull,
        0x6d72c40731366359ull, 0x556fc412f859271dull, 0x1d48c42ca3e8ebd1ull, 0x2555c4396a87af95ull,
        0x66b7e2ad0766c302ull, 0x5eaae2b8ce098746ull, 0x168de28695b84b8aull, 0x2e90e2935cd70fceull,
        0x86c3e2fa22dbd212ull, 0xbedee2efebb49656ull, 0xf6f9e2d1b0055a9aull, 0xcee4e2c4796a1edeull,
        0x713daff96bc783b4ull, 0x4920afeca2a8c7f0ull, 0x0107afd2f9190b3cull, 0x391aafc730764f78ull,
        0x9149afae4e7a92a4ull, 0xa954afbb8715d6e0ull, 0xe173af85dca41a2cull, 0xd96eaf9015cb5e68ull,
        0x9a8c8904782a32ffull, 0xa2918911b14576bbull, 0xeab6892feaf4ba77ull, 0xd2ab893a239bfe33ull,
        0x7af889535d9723efull, 0x42e5894694f867abull, 0x0ac28978cf49ab67ull, 0x32df896d0626ef23ull,
        0x5e293551b28502d8ull, 0x663435447bea469cull, 0x2e13357a205b8a50ull, 0x160e356fe934ce14ull,
        0xbe5d3506973813c8ull, 0x864035135e57578cull, 0xce67352d05e69b40ull, 0xf67a3538cc89df04ull,
        0xb59813aca168b393ull, 0x8d8513b96807f7d7ull, 0xc5a2138733b63b1bull, 0xfdbf1392fad97f5full,
        0x55ec13fb84d5a283ull, 0x6df113ee4dbae6c7ull, 0x25d613d0160b2a0bull, 0x1dcb13c5df646e4full,
        0xa2125ef8cdc9f325ull, 0x9a0f5eed04a6b761ull, 0xd2285ed35f177badull, 0xea355ec696783fe9ull,
        0x42665eafe874e235ull, 0x7a7b5eba211ba671ull, 0x325c5e847aaa6abdull, 0x0a415e91b3c52ef9ull,
        0x49a37805de24426eull, 0x71be7810174b062aull, 0x3999782e4cfacae6ull, 0x0184783b85958ea2ull,
        0xa9d77852fb99537eull, 0x91ca784732f6173aull, 0xd9ed78796947dbf6ull, 0xe1f0786ca0289fb2ull,
        0x3154aef3718177f9ull, 0x0949aee6b8ee33bdull, 0x416eaed8e35fff71ull, 0x7973aecd2a30bb35ull,
        0xd120aea4543c66e9ull, 0xe93daeb19d5322adull, 0xa11aae8fc6e2ee61ull, 0x9907ae9a0f8daa25ull,
        0xdae5880e626cc6b2ull, 0xe2f8881bab0382f6ull, 0xaadf8825f0b24e3aull, 0x92c2883039dd0a7eull,
        0x3a91885947d1d7a2ull, 0x028c884c8ebe93e6ull, 0x4aab8872d50f5f2aull, 0x72b688671c601b6eull,
        0xcd6fc55a0ecd8604ull, 0xf572c54fc7a2c240ull, 0xbd55c5719c130e8cull, 0x8548c564557c4ac8ull,
        0x2d1bc50d2b709714ull, 0x1506c518e21fd350ull, 0x5d21c526b9ae1f9cull, 0x653cc53370c15bd8ull,
        0x26dee3a71d20374full, 0x1ec3e3b2d44f730bull, 0x56e4e38c8ffebfc7ull, 0x6ef9e3994691fb83ull,
        0xc6aae3f0389d265full, 0xfeb7e3e5f1f2621bull, 0xb690e3dbaa43aed7ull, 0x8e8de3ce632cea93ull,
        0xe27b5ff2d78f0768ull, 0xda665fe71ee0432cull, 0x92415fd945518fe0ull, 0xaa5c5fcc8c3ecba4ull,
        0x020f5fa5f2321678ull, 0x3a125fb03b5d523cull, 0x72355f8e60ec9ef0ull, 0x4a285f9ba983dab4ull,
        0x09ca790fc462b623ull, 0x31d7791a0d0df267ull, 0x79f0792456bc3eabull, 0x41ed79319fd37aefull,
        0xe9be7958e1dfa733ull, 0xd1a3794d28b0e377ull, 0x9984797373012fbbull, 0xa1997966ba6e6bffull,
        0x1e40345ba8c3f695ull, 0x265d344e61acb2d1ull, 0x6e7a34703a1d7e1dull, 0x56673465f3723a59ull,
        0xfe34340c8d7ee785ull, 0xc62934194411a3c1ull, 0x8e0e34271fa06f0dull, 0xb6133432d6cf2b49ull,
        0xf5f112a6bb2e47deull, 0xcdec12b37241039aull, 0x85cb128d29f0cf56ull, 0xbdd61298e09f8b12ull,
        0x158512f19e9356ceull, 0x2d9812e457fc128aull, 0x65bf12da0c4dde46ull, 0x5da212cfc5229a02ull,
        0xbc526aa3650a05b0ull, 0x844f6ab6ac6541f4ull, 0xcc686a88f7d48d38ull, 0xf4756a9d3ebbc97cull,
        0x5c266af440b714a0ull, 0x643b6ae189d850e4ull, 0x2c1c6adfd2699c28ull, 0x14016aca1b06d86cull,
        0x57e34c5e76e7b4fbull, 0x6ffe4c4bbf88f0bfull, 0x27d94c75e4393c73ull, 0x1fc44c602d567837ull,
        0xb7974c09535aa5ebull, 0x8f8a4c1c9a35e1afull, 0xc7ad4c22c1842d63ull, 0xffb04c3708eb6927ull,
        0x4069010a1a46f44dull, 0x7874011fd329b009ull, 0x3053012188987cc5ull, 0x084e013441f73881ull,
        0xa01d015d3ffbe55dull, 0x98000148f694a119ull, 0xd0270176ad256dd5ull, 0xe83a0163644a2991ull,
        0xabd827f709ab4506ull, 0x93c527e2c0c40142ull, 0xdbe227dc9b75cd8eull, 0xe3ff27c9521a89caull,
        0x4bac27a02c165416ull, 0x73b127b5e5791052ull, 0x3b96278bbec8dc9eull, 0x038b279e77a798daull,
        0x6f7d9ba2c3047521ull, 0x57609bb70a6b3165ull, 0x1f479b8951dafda9ull, 0x275a9b9c98b5b9edull,
        0x8f099bf5e6b96431ull, 0xb7149be02fd62075ull, 0xff339bde7467ecb9ull, 0xc72e9bcbbd08a8fdull,
        0x84ccbd5fd0e9c46aull, 0xbcd1bd4a1986802eull, 0xf4f6bd7442374ce2ull, 0xccebbd618b5808a6ull,
        0x64b8bd08f554d57aull, 0x5ca5bd1d3c3b913eull, 0x1482bd23678a5df2ull, 0x2c9fbd36aee519b6ull,
        0x9346f00bbc4884dcull, 0xab5bf01e7527c098ull, 0xe37cf0202e960c54ull, 0xdb61f035e7f94810ull,
        0x7332f05c99f595ccull, 0x4b2ff049509ad188ull, 0x0308f0770b2b1d44ull, 0x3b15f062c2445900ull,
        0x78f7d6f6afa53597ull, 0x40ead6e366ca71d3ull, 0x08cdd6dd3d7bbd1full, 0x30d0d6c8f414f95bull,
        0x9883d6a18a182487ull, 0xa09ed6b4437760c3ull, 0xe8b9d68a18c6ac0full, 0xd0a4d69fd1a9e84bull,
    },
};

/* ---- table path -------------------------------------------------------- */

static uint64_t ep__crc64_bytes(uint64_t crc, const uint8_t *p, size_t n) {
    while (n--) crc = ep__crc64_table[0][(crc ^ *p++) & 0xffu] ^ (crc >> 8);
    return crc;
}

EP_API uint64_t ep_crc64_update_portable(uint64_t crc, const void *data, size_t len) {
    const uint8_t *p = (const uint8_t *)data;
    if (len == 0) return crc; /* data may be NULL then */
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t v = crc ^ ep_load_u64le(p);
        crc = ep__crc64_table[7][v & 0xffu] ^ ep__crc64_table[6][(v >> 8) & 0xffu] ^
              ep__crc64_table[5][(v >> 16) & 0xffu] ^ ep__crc64_table[4][(v >> 24) & 0xffu] ^
              ep__crc64_table[3][(v >> 32) & 0xffu] ^ ep__crc64_table[2][(v >> 40) & 0xffu] ^
              ep__crc64_table[1][(v >> 48) & 0xffu] ^ ep__crc64_table[0][v >> 56];
    }
    return ep__crc64_bytes(crc, p, len);
}

/* ---- folding path (x86-64 PCLMULQDQ, AArch64 PMULL) -------------------- */
/* A carry-less product of two reflected 64-bit values, read as a reflected
 * 128-bit value, is x*A*B: so the constants for folding a register forward
 * by 128 bits are x^191 (its earlier qword) and x^127 (its later one) mod
 * P, and x^575 / x^511 for 512 bits across four lanes. The last register is
 * the CRC of its own 16 bytes with init 0, which the table path computes.
 * Each CPU supplies four vector steps (fold, load, pair, store); the folding
 * loop below is written once over them. */
#define EP__CRC64_K191 0xd9d7be7d505da32cull
#define EP__CRC64_K127 0x381d0015c96f4444ull
#define EP__CRC64_K575 0xaf86efb16d9ab4fbull
#define EP__CRC64_K511 0xf49784a634f014e4ull

/* Below this the table path wins (the register's own 16-byte CRC is a
 * fixed cost of the folding path). */
#define EP__CRC64_HW_MIN 64

#if !defined(EP_NO_SIMD) && (defined(__x86_64__) || defined(_M_X64)) && \
    (defined(__GNUC__) || defined(__clang__) || defined(_MSC_VER))
#  define EP__CRC64_X86 1
#  include <immintrin.h>
#  if defined(__GNUC__) || defined(__clang__)
#    define EP__CRC64_TARGET __attribute__((target("pclmul,sse2")))
#  else
#    define EP__CRC64_TARGET
#  endif

typedef __m128i ep__crc64_vec;

/* x's low qword times k's low, high times high, onto d. */
EP__CRC64_TARGET static __m128i ep__crc64_fold(__m128i x, __m128i k, __m128i d) {
    return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), d);
}

EP__CRC64_TARGET static __m128i ep__crc64_load(const uint8_t *p) {
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

EP__CRC64_TARGET static __m128i ep__crc64_pair(uint64_t lo, uint64_t hi) {
    return _mm_set_epi64x((long long)hi, (long long)lo);
}

EP__CRC64_TARGET static __m128i ep__crc64_xor(__m128i a, __m128i b) { return _mm_xor_si128(a, b); }

EP__CRC64_TARGET static void ep__crc64_store(uint8_t *out, __m128i x) {
    _mm_storeu_si128((__m128i *)(void *)out, x);
}

#elif !defined(EP_NO_SIMD) && defined(__aarch64__) && !defined(__AARCH64EB__) && \
    (defined(__GNUC__) || defined(__clang__)) && (defined(__linux__) || defined(__APPLE__))
/* The same condition as crc.c's PMULL path, whose run-time check
 * (ep_crc32_hw_available: HWCAP_PMULL) this path shares. */
#  define EP__CRC64_ARM 1
#  include <arm_neon.h>
#  if defined(__clang__)
#    define EP__CRC64_TARGET __attribute__((target("aes")))
#  else
#    define EP__CRC64_TARGET __attribute__((target("+crypto")))
#  endif

typedef uint64x2_t ep__crc64_vec;

/* PMULL on the low qwords, PMULL2 on the high ones, onto d. */
EP__CRC64_TARGET static uint64x2_t ep__crc64_fold(uint64x2_t x, uint64x2_t k, uint64x2_t d) {
    uint64x2_t lo = vreinterpretq_u64_p128(
        vmull_p64((poly64_t)vgetq_lane_u64(x, 0), (poly64_t)vgetq_lane_u64(k, 0)));
    uint64x2_t hi = vreinterpretq_u64_p128(vmull_high_p64(vreinterpretq_p64_u64(x), vreinterpretq_p64_u64(k)));
    return veorq_u64(veorq_u64(lo, hi), d);
}

/* Little-endian 16-byte load (AArch64 Linux and Apple are little-endian). */
EP__CRC64_TARGET static uint64x2_t ep__crc64_load(const uint8_t *p) { return vreinterpretq_u64_u8(vld1q_u8(p)); }

EP__CRC64_TARGET static uint64x2_t ep__crc64_pair(uint64_t lo, uint64_t hi) {
    return vcombine_u64(vcreate_u64(lo), vcreate_u64(hi));
}

EP__CRC64_TARGET static uint64x2_t ep__crc64_xor(uint64x2_t a, uint64x2_t b) { return veorq_u64(a, b); }

EP__CRC64_TARGET static void ep__crc64_store(uint8_t *out, uint64x2_t x) { vst1q_u8(out, vreinterpretq_u8_u64(x)); }

#endif

#if defined(EP__CRC64_X86) || defined(EP__CRC64_ARM)
/* n >= 16: folds every whole 16-byte block (four independent chains from
 * 64 bytes, which hide the multiplier's latency), then the rest on the
 * table. */
EP__CRC64_TARGET static uint64_t ep__crc64_clmul(uint64_t crc, const uint8_t *p, size_t n) {
    const ep__crc64_vec k128 = ep__crc64_pair(EP__CRC64_K191, EP__CRC64_K127);
    ep__crc64_vec x = ep__crc64_xor(ep__crc64_load(p), ep__crc64_pair(crc, 0));
    uint8_t reg[16];
    p += 16;
    n -= 16;
    if (n >= 48) {
        const ep__crc64_vec k512 = ep__crc64_pair(EP__CRC64_K575, EP__CRC64_K511);
        ep__crc64_vec x1 = ep__crc64_load(p), x2 = ep__crc64_load(p + 16), x3 = ep__crc64_load(p + 32);
        for (p += 48, n -= 48; n >= 64; p += 64, n -= 64) {
            x = ep__crc64_fold(x, k512, ep__crc64_load(p));
            x1 = ep__crc64_fold(x1, k512, ep__crc64_load(p + 16));
            x2 = ep__crc64_fold(x2, k512, ep__crc64_load(p + 32));
            x3 = ep__crc64_fold(x3, k512, ep__crc64_load(p + 48));
        }
        x = ep__crc64_fold(ep__crc64_fold(ep__crc64_fold(x, k128, x1), k128, x2), k128, x3);
    }
    for (; n >= 16; p += 16, n -= 16) x = ep__crc64_fold(x, k128, ep__crc64_load(p));
    ep__crc64_store(reg, x);
    return ep_crc64_update_portable(ep_crc64_update_portable(0, reg, 16), p, n);
}

/* PCLMULQDQ (x86-64) or PMULL (AArch64): the CRC-32 part's check. */
EP_API int ep_crc64_hw_available(void) { return ep_crc32_hw_available(); }

#else

EP_API int ep_crc64_hw_available(void) { return 0; }

#endif

EP_API uint64_t ep_crc64_update_hw(uint64_t crc, const void *data, size_t len) {
#if defined(EP__CRC64_X86) || defined(EP__CRC64_ARM)
    if (len >= 16 && ep_crc64_hw_available()) return ep__crc64_clmul(crc, (const uint8_t *)data, len);
#endif
    return ep_crc64_update_portable(crc, data, len);
}

EP_API uint64_t ep_crc64_update(uint64_t crc, const void *data, size_t len) {
    if (len < EP__CRC64_HW_MIN) return ep_crc64_update_portable(crc, data, len);
    return ep_crc64_update_hw(crc, data, len);
}

EP_API uint64_t ep_crc64(const void *data, size_t len) { return ep_crc64_update(0, data, len); }

#endif /* EP_NO_REDIS */
