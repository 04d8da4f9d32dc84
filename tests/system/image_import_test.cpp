// System tests (root) of importing images that go wrong: a corrupt
// (truncated) layer and a disk that fills up during the unpack store
// nothing, say which layer, and leave the store as it was. Each runs in a
// private network and mount namespace with a private STACK_ROOT; the full
// disk is a small tmpfs mounted there.
#include "tests/system/container_fixture.h"

namespace stack_system_test {
namespace {

class ImageImport : public Container {};

// What a store holds beside its index: the blob and layer files, one per
// line, scratch names included (".unpack-...", ".import-...").
const char kStoreContents[] =
    "find $STACK_ROOT/images/blobs/sha256 $STACK_ROOT/images/layers -mindepth 1 -maxdepth 1 | sort; ";

TEST_F(ImageImport, ACorruptLayerStoresNothingAndSaysWhichLayer) {
  // 4 MiB of random data gzip cannot shrink, cut in the middle.
  Outcome r = in_sandbox(
      "cd $STACK_ROOT/..; mkdir -p corrupt/data; head -c 4194304 /dev/urandom > corrupt/data/blob; "
      "tar -C corrupt -czf corrupt.tar.gz . && head -c 2000000 corrupt.tar.gz > cut.tar.gz; "
      "find $STACK_ROOT/images -type f | sort > before; cp $STACK_ROOT/images/index.json index-before; "
      "$S image import cut.tar.gz cut:1; echo import=$?; "
      "find $STACK_ROOT/images -type f | sort > after; cmp -s before after && echo store-unchanged; "
      "cmp -s index-before $STACK_ROOT/images/index.json && echo index-unchanged; "
      "$S image ls | grep -c cut; "
      "rm -rf corrupt corrupt.tar.gz cut.tar.gz before after index-before");
  EXPECT_NE(r.out.find("import=1\nstore-unchanged\nindex-unchanged\n0\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("cut.tar.gz"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
}

TEST_F(ImageImport, ADiskThatFillsDuringTheUnpackLeavesNoHalfMadeImage) {
  // A 24 MiB store: a 16 MiB image fits; a 40 MiB one fills the disk in
  // the middle of its unpack.
  Outcome r = in_sandbox(
      "cd $STACK_ROOT/..; mkdir -p big/data; head -c 16777216 /dev/urandom > big/data/blob; "
      "tar -C big -cf fits.tar .; head -c 41943040 /dev/urandom > big/data/blob; tar -C big -cf big.tar .; "
      "mkdir small; mount -t tmpfs -o size=24m tmpfs small; export STACK_ROOT=$PWD/small/state; "
      "$S image import fits.tar fits:1 >/dev/null; echo fits=$?; $S image rm fits:1 >/dev/null; "
      "$S image import big.tar big:1; echo import=$?; "
      + std::string(kStoreContents) +
      "$S image ls | grep -c big; df -k small | tail -1 | tr -s ' ' | cut -d' ' -f3; "
      // The store works on.
      "$S image import fits.tar fits:1 >/dev/null; echo again=$?; "
      "umount small; rm -rf big big.tar fits.tar small");
  EXPECT_NE(r.out.find("fits=0\nimport=1\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("big.tar"), std::string::npos) << r.err;
  // Nothing of it: no blob, no layer, no scratch file, no image; the
  // tmpfs holds only the store's few small files.
  size_t at = r.out.find("import=1\n");
  ASSERT_NE(at, std::string::npos);
  std::string after = r.out.substr(at + 9);
  EXPECT_EQ(after.find("/images/"), std::string::npos) << after;
  EXPECT_EQ(after.substr(0, 2), "0\n") << after;
  EXPECT_LT(std::stol(after.substr(2)), 1024) << "KiB left used on the store's disk: " << after;
  EXPECT_NE(r.out.find("again=0\n"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace stack_system_test
