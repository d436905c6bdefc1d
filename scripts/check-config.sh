#!/bin/bash
# Check that every symbol the fragments set is set so in the final .config.
# A later fragment overrides an earlier one, as in merge_config.sh.
# Usage: check-config.sh .config fragment...
set -euo pipefail

config=$1
shift
declare -A want=()
order=()
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		sym=${line%%=*}
		;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }
		sym=${sym%% *}
		;;
	*) continue ;;
	esac
	[ -n "${want[$sym]+set}" ] || order+=("$sym")
	want[$sym]=$line
done < <(cat "$@")

bad=0
for sym in "${order[@]}"; do
	line=${want[$sym]}
	got=$(grep -E "^(# )?${sym}[= ]" "$config" || true)
	if [ "$line" = "# $sym is not set" ]; then
		case "$got" in "$sym="[ym]) ;; *) continue ;; esac
	elif [ "$got" = "$line" ]; then
		continue
	fi
	echo "error: $line requested, .config has '${got:-nothing}'" >&2
	bad=1
done
exit $bad
