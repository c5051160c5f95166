#include <gtest/gtest.h>
#include "history/mail_source.h"
TEST(HistorySources, Placeholder) {}
