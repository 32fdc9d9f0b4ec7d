"""Sample SOPs; installed as the package bot._sample_sops so `sopbot play` has SOPs anywhere."""
