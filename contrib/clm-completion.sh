# /etc/profile.d/clm-completion.sh: clm's bash completion in login shells,
# also where the bash-completion package (which loads it on demand) is not
# installed.
if [ -n "${BASH_VERSION:-}" ] && [ -r /usr/share/bash-completion/completions/clm ]; then
	. /usr/share/bash-completion/completions/clm
fi
