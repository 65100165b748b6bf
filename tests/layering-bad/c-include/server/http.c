/* fixture: a server source file with static internals */
static int parse(const char *s)
{
	return s[0];
}
