// The AWS shared files as the SDKs read them.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "auth/aws_shared_files.h"

TEST(AwsSharedFiles, SectionsKeysCommentsAndConfigProfiles) {
  auto creds = fc::aws::parse_ini(
      "# comment\n[default]\naws_access_key_id = AKID1\nAWS_SECRET_ACCESS_KEY=s1 ; inline\n\n"
      "[other]\n  aws_access_key_id =AKID2  \nnot a pair\n",
      false);
  ASSERT_EQ(creds.size(), 2u);
  EXPECT_EQ(creds["default"]["aws_access_key_id"], "AKID1");
  EXPECT_EQ(creds["default"]["aws_secret_access_key"], "s1");  // keys are case-insensitive
  EXPECT_EQ(creds["other"]["aws_access_key_id"], "AKID2");
  auto config = fc::aws::parse_ini("[default]\nregion=us-west-2\n[profile prod]\nregion = eu-west-1\n", true);
  EXPECT_EQ(config["prod"]["region"], "eu-west-1");  // "profile " dropped in the config file
  EXPECT_EQ(config["default"]["region"], "us-west-2");
  // A '#' inside a value without a space before it is part of the value.
  EXPECT_EQ(fc::aws::parse_ini("[a]\nk = v#1 # comment\n", false)["a"]["k"], "v#1");
}

TEST(AwsSharedFiles, ProfileFromBothFilesCredentialsFileWinning) {
  char dir[] = "/tmp/fc-aws-files-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string creds = std::string(dir) + "/credentials", config = std::string(dir) + "/config";
  std::ofstream(creds) << "[prod]\naws_access_key_id = FROMCREDS\naws_secret_access_key = s\n";
  std::ofstream(config) << "[profile prod]\nregion = eu-west-1\naws_access_key_id = FROMCONFIG\n"
                           "[profile cfgonly]\naws_access_key_id = K\naws_secret_access_key = S\naws_session_token = T\n";
  auto prod = fc::aws::load_shared_profile(creds, config, "prod", nullptr);
  ASSERT_TRUE(prod);
  EXPECT_EQ(prod->access_key_id, "FROMCREDS");
  EXPECT_EQ(prod->region, "eu-west-1");
  auto cfg = fc::aws::load_shared_profile(creds, config, "cfgonly", nullptr);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->session_token, "T");
  std::string why;
  EXPECT_FALSE(fc::aws::load_shared_profile(creds, config, "missing", &why));
  EXPECT_EQ(why, "no profile 'missing' in " + creds + " or " + config);
  std::remove(creds.c_str());
  std::remove(config.c_str());
  EXPECT_FALSE(fc::aws::load_shared_profile(creds, config, "prod", &why));
  EXPECT_EQ(why, "no profile 'prod' in " + creds + " (not readable) or " + config + " (not readable)");
  ::rmdir(dir);
}
