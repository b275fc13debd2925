BfeaturesJÑ>èx>OZ?Rï
?