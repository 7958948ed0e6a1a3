"""Training of IGFC and ASFN: data simulation (:mod:`.data`, :mod:`.asfn_sim`) and the resumable loop (:mod:`.loop`)."""
